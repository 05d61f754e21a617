"""The shared progress bar: count, rate and ETA on a terminal, nothing off one; the work reports through it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import Engine

from tests.unit.data.test_files import write_corrupt
from tests.unit.persistence.archive.seed import insert_ticks, make_ticks
from theo.cli import progress as progress_mod
from theo.cli.progress import progress_bar, short
from theo.data.importer import import_file
from theo.persistence.archive import Archiver, et_midnight, verify_archive
from theo.persistence.repositories.market_data import MarketDataRepository
from theo.persistence.writer import write_ticks


def _console(buf: io.StringIO) -> Console:
    return Console(file=buf, force_terminal=True, width=100, color_system=None)


def test_bar_shows_count_rate_and_eta_on_a_terminal() -> None:
    buf = io.StringIO()
    with progress_bar("storing SPY_trades_tick.csv.gz", 1_000, console=_console(buf), enabled=True) as bar:
        assert bar.shown
        bar.update(0, 1_000)
        bar.update(400, 1_000)
        bar.advance(100)
        bar._progress.refresh()  # type: ignore[union-attr]  # draw now instead of at the next tick
    text = buf.getvalue()
    assert "500/1,000" in text
    assert "rows/s" in text
    assert "ETA " in text
    assert "storing SPY_trades_…" in text


def test_nothing_is_drawn_when_stdout_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress_mod, "is_terminal", lambda: False)
    buf = io.StringIO()
    with progress_bar("importing", 10, console=_console(buf)) as bar:
        assert not bar.shown
        bar.update(5, 10)
        bar.advance(5)
        bar.restart("next", None)
    assert buf.getvalue() == ""


def test_long_descriptions_are_cut_to_fit_80_columns() -> None:
    assert short("a" * 30) == "a" * 19 + "…"
    assert short("short") == "short"


def test_import_reports_reading_then_rows_stored(sqlite_engine: Engine, tmp_path: Path) -> None:
    calls: list[tuple[str, int, int | None]] = []
    summary = import_file(MarketDataRepository(sqlite_engine), write_corrupt(tmp_path), "SPY",
                          progress=lambda stage, done, total: calls.append((stage, done, total)))
    assert summary.imported == 2
    assert calls == [("reading", 0, None), ("storing", 0, 2), ("storing", 2, 2)]


def test_tick_writes_report_each_batch(sqlite_engine: Engine, tmp_path: Path) -> None:
    from theo.data.files import read_market_file

    ticks = read_market_file(write_corrupt(tmp_path), "SPY").ticks
    assert ticks is not None
    done: list[int] = []
    write_ticks(sqlite_engine, ticks, "test", batch=1, progress=done.append)
    assert done == [1, 2, 3]


def test_archive_run_and_verify_report_rows_and_files(sqlite_engine: Engine, tmp_path: Path) -> None:
    from datetime import date

    rows = make_ticks()
    insert_ticks(sqlite_engine, rows)
    cutoff = et_midnight(date(2013, 10, 10))
    archiver = Archiver(sqlite_engine, tmp_path / "archive")
    runs: list[tuple[int, int]] = []
    report = archiver.run(cutoff, progress=lambda done, total: runs.append((done, total)))
    total = report.rows_archived
    assert runs[0] == (0, total)
    assert runs[-1] == (total, total)
    assert len(runs) == 1 + report.files_written  # one report per file (symbol and day)
    assert [d for d, _ in runs] == sorted(d for d, _ in runs)
    checks: list[tuple[int, int]] = []
    assert verify_archive(archiver, progress=lambda done, n: checks.append((done, n))).ok
    assert checks == [(i, report.files_written) for i in range(1, report.files_written + 1)]


def test_backtest_reports_signals_replayed_of_the_total() -> None:
    from tests.unit.node.helpers import session_walk
    from tests.unit.node.test_semantics import _config
    from theo.node.backtest import run_backtest
    from theo.node.data import MarketData

    calls: list[tuple[int, int]] = []
    data = MarketData({"AAA": session_walk(2 * 390, 4, first_day="2026-11-30")}, "bars")
    run_backtest(_config(time_exit="15:55:00"), data, progress=lambda done, total: calls.append((done, total)))
    total = calls[0][1]
    assert calls[0] == (0, total)
    assert total > 100
    assert {t for _, t in calls} == {total}
    done = [d for d, _ in calls]
    assert done == sorted(done)
    assert done[-1] > total - max(1, total // 100) - 1


def test_bars_aggregated_from_ticks_report_each_session(sqlite_engine: Engine) -> None:
    from datetime import UTC, datetime

    from theo.core.calendar import get_calendar
    from theo.data.bars.sql import aggregate_sql

    insert_ticks(sqlite_engine, make_ticks(n=600, days=3, symbols=("SPY",)))  # from Monday 2013-10-07
    calls: list[tuple[int, int]] = []
    bars = aggregate_sql(MarketDataRepository(sqlite_engine), "SPY", "5m", datetime(2013, 10, 7, tzinfo=UTC),
                         datetime(2013, 10, 10, tzinfo=UTC), get_calendar(),
                         progress=lambda done, total: calls.append((done, total)))
    assert len(bars) > 0
    total = calls[-1][1]
    assert total >= 3  # one window per session segment (pre, regular, post) of each day
    assert calls == [(k, total) for k in range(1, total + 1)]
