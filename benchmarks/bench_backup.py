"""`theo db backup` / `theo db restore` time with a store of synthetic ticks, on SQLite and, when reachable,
PostgreSQL (pg_dump custom format / pg_restore).

The ticks (10M by default, as the issue asks; ``THEO_BENCH_BACKUP_TICKS`` sets another count, stated with every
figure) are written in bulk (Core inserts) before timing. Backup time includes the sha256 and the row counts of
the manifest; restore time includes the sha256 check and the row-count verification.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from benchmarks.common import Result, Section
from benchmarks.scratch_pg import scratch_databases
from theo.config import TheoConfig
from theo.persistence.backup import backup, restore
from theo.persistence.db import make_engine, upgrade
from theo.persistence.models.core import TickRow

TICKS = int(os.environ.get("THEO_BENCH_BACKUP_TICKS", "10000000"))
CHUNK = 50_000
SYMBOLS = ("SPY", "QQQ", "IWM", "AAPL", "MSFT")


def _fill(url: str, n: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    t0 = datetime(2024, 1, 2, 14, 30, tzinfo=UTC)
    with engine.begin() as conn:
        for start in range(0, n, CHUNK):
            rows: list[dict[str, Any]] = [
                {"symbol": SYMBOLS[i % 5], "ts": t0 + timedelta(milliseconds=i), "seq": 0,
                 "price": 100.0 + (i % 997) / 100, "size": float(1 + i % 300), "exchange": "ARCA", "condition": "",
                 "source": "bench", "received": None} for i in range(start, min(n, start + CHUNK))]
            conn.execute(insert(TickRow), rows)
    engine.dispose()


def _measure(section: Section, label: str, config: TheoConfig, out: Path, reset: Any) -> None:
    t = time.perf_counter()
    path, manifest = backup(config, out)
    t_backup = time.perf_counter() - t
    reset()
    t = time.perf_counter()
    restore(config, path)
    t_restore = time.perf_counter() - t
    size = path.stat().st_size
    note = f"{TICKS:,} ticks, {size / 1e6:.0f} MB file"
    section.results += [
        Result(f"backup, {label}", TICKS / t_backup, "ticks/s", note=f"{note}, {t_backup:.1f} s"),
        Result(f"restore (sha256 check, restore, count check), {label}", TICKS / t_restore, "ticks/s",
               note=f"{t_restore:.1f} s"),
    ]
    assert manifest.row_counts["ticks"] == TICKS


def _sqlite(section: Section, tmp: Path) -> None:
    data = tmp / "var"
    data.mkdir(parents=True)
    db = data / "theo.db"
    _fill(f"sqlite:///{db}", TICKS)
    config = TheoConfig.model_validate({"app": {"data_dir": str(data)}})

    def reset() -> None:
        for p in (db, db.with_name("theo.db-wal"), db.with_name("theo.db-shm")):
            p.unlink(missing_ok=True)

    _measure(section, "SQLite", config, tmp / "b.sqlite", reset)


def _postgres(section: Section, tmp: Path) -> None:
    with scratch_databases() as dbs:
        if dbs.unreachable:
            section.notes.append(f"{dbs.unreachable}; not measured")
            return
        url = dbs.create()
        _fill(url, TICKS)
        config = TheoConfig.model_validate({"app": {"data_dir": str(tmp / "pg")}, "database": {"url": url}})
        _measure(section, "PostgreSQL", config, tmp / "b.dump", lambda: dbs.recreate(url))


def run() -> Section:
    section = Section("Backup and restore (theo db backup / restore)", "python -m benchmarks backup")
    with tempfile.TemporaryDirectory() as tmp:
        _sqlite(section, Path(tmp) / "sqlite")
        _postgres(section, Path(tmp) / "postgres")
    size = "the issue's size" if TICKS >= 10_000_000 else "smaller than the issue's 10M (THEO_BENCH_BACKUP_TICKS)"
    section.notes.append(f"{TICKS:,} synthetic ticks in 5 symbols, {size}; each store also holds the other "
                         "migrated tables, empty; backup includes sha256 and manifest row counts")
    return section
