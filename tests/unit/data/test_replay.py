from __future__ import annotations

import asyncio
import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from theo.adapters.sim.replay import ReplayFeed
from theo.core.errors import FeedError
from theo.data.feeds.database import DatabaseReplayFeed
from theo.data.rejection import Rejection
from theo.model.market import Bar, Tick
from theo.persistence.repositories.market_data import MarketDataRepository


def _write(path: Path, rows: list[str], header: str = "ts,price,size,exchange,condition,suspicious") -> Path:
    with gzip.open(path, "wt") as f:
        f.write(header + "\n" + "\n".join(rows) + "\n")
    return path


@pytest.fixture
def two_files(tmp_path: Path) -> list[tuple[Path, str]]:
    a = _write(tmp_path / "AAA_trades_tick.csv.gz", [
        "2013-10-07T09:30:00.100-04:00,10.00,100,P,1,0",
        "2013-10-07T09:30:00.300-04:00,10.01,100,P,1,1",
        "2013-10-07T09:30:00.500-04:00,10.02,100,P,1,0"])
    b = _write(tmp_path / "BBB_trades_tick.csv.gz", [
        "2013-10-07T09:30:00.100-04:00,20.00,5,Q,1,0",
        "2013-10-07T09:30:00.400-04:00,20.10,5,Q,1,0"])
    return [(a, "aaa"), (b, "bbb")]


def test_files_are_merged_in_time_order_with_their_source_and_suspicious_prints_are_reported(
        two_files: list[tuple[Path, str]]) -> None:
    rejected: list[Rejection] = []
    feed = ReplayFeed(two_files, source="file-replay", on_reject=rejected.append)
    events = list(feed.events())
    assert [(e.symbol, e.price) for e in events if isinstance(e, Tick)] == [
        ("AAA", 10.0), ("BBB", 20.0), ("BBB", 20.1), ("AAA", 10.02)]
    assert {e.source for e in events if isinstance(e, Tick)} == {"file-replay"}
    assert [r.reason for r in rejected] == ["suspicious"]
    assert "line 3" in rejected[0].detail
    h = feed.health()
    assert h.connected
    assert h.events == 4
    assert h.subscribed == frozenset({"AAA", "BBB"})


def test_unsubscribed_symbols_are_skipped(two_files: list[tuple[Path, str]]) -> None:
    feed = ReplayFeed(two_files)
    feed.connect()
    feed.unsubscribe(["AAA"])
    assert {e.symbol for e in feed.events() if isinstance(e, Tick)} == {"BBB"}


def test_bar_files_replay_as_bars_at_their_end(tmp_path: Path) -> None:
    p = _write(tmp_path / "X_1min.csv.gz", ["2013-10-07T09:30:00-04:00,1,2,0.5,1.5,100",
                                            "2013-10-07T09:31:00-04:00,1.5,2,1,1.8,50"],
               header="ts,open,high,low,close,volume")
    bars = list(ReplayFeed([(p, "X")]).events())
    assert all(isinstance(b, Bar) for b in bars)
    assert len(bars) == 2


def test_paced_run_delivers_everything_and_refuses_a_bad_speed(two_files: list[tuple[Path, str]]) -> None:
    got: list[object] = []
    asyncio.run(ReplayFeed(two_files, speed=1000.0).run(got.append, asyncio.Event()))
    assert len(got) == 4
    with pytest.raises(FeedError, match="speed"):
        ReplayFeed(two_files, speed=0)


def test_database_replay_streams_stored_ticks_in_time_order(sqlite_engine, two_files) -> None:  # type: ignore[no-untyped-def]
    from theo.data.files import read_market_file
    from theo.persistence.writer import write_ticks

    for path, sym in two_files:
        cols = read_market_file(path, sym.upper()).ticks
        assert cols is not None
        write_ticks(sqlite_engine, cols, "import")
    feed = DatabaseReplayFeed(MarketDataRepository(sqlite_engine), ["AAA", "BBB"], datetime(2013, 10, 7, tzinfo=UTC),
                              datetime(2013, 10, 8, tzinfo=UTC))
    ticks = [e for e in feed.events() if isinstance(e, Tick)]
    assert [t.ts for t in ticks] == sorted(t.ts for t in ticks)
    assert len(ticks) == 5
    assert {t.source for t in ticks} == {"db-replay"}
    with pytest.raises(FeedError, match="kind"):
        DatabaseReplayFeed(MarketDataRepository(sqlite_engine), ["AAA"], datetime(2013, 10, 7, tzinfo=UTC),
                           datetime(2013, 10, 8, tzinfo=UTC), kind="quotes")  # type: ignore[arg-type]


def test_database_replay_of_stored_bars_orders_them_by_end(sqlite_engine) -> None:  # type: ignore[no-untyped-def]
    from tests.unit.data.bars.helpers import et
    from theo.model.enums import SessionKind
    from theo.persistence.writer import write_bars

    bars = [Bar(sym, "5m", et(2013, 10, 7, 9, 30 + 5 * i), et(2013, 10, 7, 9, 35 + 5 * i), 1.0, 2.0, 0.5, 1.5,
                10.0, 3, SessionKind.REGULAR, "rec", frozenset({"no_regular_prints"}) if i else frozenset())
            for i in range(3) for sym in ("BBB", "AAA")]
    write_bars(sqlite_engine, bars, "rec")
    feed = DatabaseReplayFeed(MarketDataRepository(sqlite_engine), ["aaa", "bbb"], et(2013, 10, 7, 0, 0),
                              et(2013, 10, 8, 0, 0), kind="bars", timeframe="5m")
    got = [e for e in feed.events() if isinstance(e, Bar)]
    assert len(got) == 6
    assert [b.end for b in got] == sorted(b.end for b in got)
    assert [b.symbol for b in got[:2]] == ["AAA", "BBB"]
    assert got[2].flags == frozenset({"no_regular_prints"})
    assert {b.source for b in got} == {"db-replay"}


def test_real_speed_times_k_waits_event_time_divided_by_k(two_files: list[tuple[Path, str]],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from theo.data.feeds import pacing

    now = [1000.0]
    waits: list[float] = []

    async def fake_wait_for(aw, timeout: float) -> None:  # type: ignore[no-untyped-def]
        aw.close()
        waits.append(round(timeout, 9))
        now[0] += timeout  # the wall clock moves by exactly the wait
        raise TimeoutError

    monkeypatch.setattr(pacing.asyncio, "wait_for", fake_wait_for)

    async def main() -> list[object]:
        monkeypatch.setattr(asyncio.get_running_loop(), "time", lambda: now[0])
        got: list[object] = []
        await ReplayFeed(two_files, speed=2.0).run(got.append, asyncio.Event())
        return got

    got = asyncio.run(main())
    # prints at +0.0 (AAA), +0.0 (BBB), +0.3 (BBB), +0.4 (AAA; 0.2 is suspicious): at 2x, 0.15 s then 0.05 s
    assert len(got) == 4
    assert waits == [0.15, 0.05]
