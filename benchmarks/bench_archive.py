"""Cold archive and continuous futures on real data.

Archive: the real IBM trade ticks of 2013-10-07 … 10-11 plus the first SPY ticks, loaded into a SQLite
store, archived (write, fsync, re-read and verify, delete), verified and restored. Futures: the continuous
ES series from the ESZ13/ESH14 one-minute files. No speed targets are set for these.
"""

from __future__ import annotations

import tempfile
import time
from datetime import date
from pathlib import Path

from benchmarks.common import Result, Section, best_of, data_file, peak_rss_mb
from theo.persistence.archive.files import TickTuple

SPY_TICKS = 400_000


def _load_ticks(path: Path, symbol: str, limit: int | None) -> list[TickTuple]:
    import pandas as pd

    df = pd.read_csv(path, nrows=limit, dtype={"exchange": str, "condition": str})
    ts = pd.to_datetime(df["ts"], utc=True, format="ISO8601").astype("datetime64[us, UTC]").astype("int64")
    seq = ts.groupby(ts).cumcount()
    return [(symbol, int(t), int(s), float(p), float(z), e if isinstance(e, str) else "",
             c if isinstance(c, str) else "", "lean", None)
            for t, s, p, z, e, c in zip(ts, seq, df["price"], df["size"], df["exchange"], df["condition"],
                                        strict=True)]


def _archive(section: Section) -> None:
    ibm = data_file("lean/IBM_trades_tick_2013-10-07_2013-10-11.csv.gz")
    spy = data_file("lean/SPY_trades_tick_2013-10-07_2013-10-11.csv.gz")
    if ibm is None or spy is None:
        section.notes.append("archive figures skipped: ../shared/data is absent")
        return
    from theo.persistence.archive import Archiver, et_midnight, restore, verify_archive
    from theo.persistence.archive.ticks import insert_missing
    from theo.persistence.db import make_engine, upgrade

    rows = _load_ticks(ibm, "IBM", None) + _load_ticks(spy, "SPY", SPY_TICKS)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/theo.db")
        upgrade(engine)
        with engine.begin() as conn:
            insert_missing(conn, rows)
        archiver = Archiver(engine, Path(tmp) / "archive")
        t0 = time.perf_counter()
        report = archiver.run(et_midnight(date(2013, 10, 12)))
        t_run = time.perf_counter() - t0
        assert report.rows_purged == len(rows), report
        files = list((Path(tmp) / "archive").rglob("*.parquet"))
        size = sum(f.stat().st_size for f in files)
        t_verify, vr = best_of(lambda: verify_archive(archiver), repeat=3)
        assert vr.ok
        t0 = time.perf_counter()
        rr = restore(archiver, date(2013, 10, 7), date(2013, 10, 11))
        t_restore = time.perf_counter() - t0
        assert rr.rows_inserted == len(rows)
        section.results += [
            Result("archive run (write, verify, delete), SQLite", len(rows) / t_run, "ticks/s",
                   note=f"{len(rows):,} real ticks, {report.files_written} files, {t_run:.1f} s"),
            Result("archive size (Parquet zstd)", size / len(rows), "bytes/tick", note=f"{size / 1e6:.1f} MB"),
            Result("archive verify (SHA-256 + row count)", size / 1e6 / t_verify, "MB/s",
                   note=f"{len(files)} files in {t_verify * 1000:.0f} ms"),
            Result("archive restore into SQLite", len(rows) / t_restore, "ticks/s", note=f"{t_restore:.1f} s"),
        ]


def _continuous(section: Section) -> None:
    z_path = data_file("lean/ES_ESZ13_1min_2013-10-06_2013-10-11.csv.gz")
    h_path = data_file("lean/ES_ESH14_1min_2013-10-06_2013-10-11.csv.gz")
    if z_path is None or h_path is None:
        return
    from theo.data.futures import parse_symbol
    from theo.data.futures.bars import read_contract_bars
    from theo.data.futures.continuous import CalendarRoll, VolumeRoll, build_continuous

    chain = [read_contract_bars(z_path, parse_symbol("ESZ13")), read_contract_bars(h_path, parse_symbol("ESH14"))]
    forced = CalendarRoll(dates={"ESZ13": date(2013, 10, 9)})
    t_cal, series = best_of(lambda: build_continuous(chain, forced, "difference"), repeat=5)
    t_vol, _ = best_of(lambda: build_continuous(chain, VolumeRoll(), "ratio"), repeat=5)
    section.results += [
        Result("continuous ES, calendar roll, difference", t_cal * 1000, "ms",
               note=f"{len(series)} bars from 8,515 contract bars"),
        Result("continuous ES, volume roll, ratio", t_vol * 1000, "ms"),
    ]


def run() -> Section:
    section = Section("Cold archive and continuous futures",
                      "python -m benchmarks archive")
    _archive(section)
    _continuous(section)
    section.results.append(Result("peak RSS", peak_rss_mb(), "MB"))
    return section
