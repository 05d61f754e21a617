"""Supervised feeds: reconnect with back-off, re-subscribe, resume without loss or repeat."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.unit.data.test_replay import _write
from theo.adapters.sim.replay import ReplayFeed
from theo.core.errors import DataError, FeedError
from theo.data.feeds import base
from theo.data.feeds.base import EventHandler, Feed, MarketEvent
from theo.data.feeds.database import DatabaseReplayFeed
from theo.model.market import Tick

T0 = datetime(2013, 10, 7, 14, 0, tzinfo=UTC)


class FlakyFeed(Feed):
    """A socket feed whose first ``refusals`` connects are refused and whose session drops once."""

    def __init__(self, refusals: int, drop_after: int | None) -> None:
        super().__init__("flaky")
        self.refusals = refusals
        self.drop_after = drop_after
        self.sessions: list[frozenset[str]] = []  # subscriptions sent on each successful connect
        self.sent = 0

    def connect(self) -> None:
        if self.refusals:
            self.refusals -= 1
            raise ConnectionRefusedError("connection refused by 127.0.0.1:4002")
        super().connect()
        self.sessions.append(self.subscribed)

    def events(self) -> Iterator[MarketEvent]:
        while self.sent < 10:
            tick = Tick("SPY", T0 + timedelta(seconds=self.sent), 100.0 + self.sent, 1.0, self.name)
            self._seen(tick)
            yield tick

    async def run(self, handler: EventHandler, stop: asyncio.Event) -> None:
        for ev in self.events():
            if self.drop_after is not None and self.sent == self.drop_after:
                self.drop_after = None
                raise FeedError("session dropped by the server")
            handler(ev)
            self.sent += 1


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the back-off waits of ``Feed.serve`` instead of sleeping."""
    got: list[float] = []

    async def fake_wait_for(aw: Coroutine[Any, Any, Any], timeout: float) -> None:
        aw.close()
        got.append(timeout)
        raise TimeoutError

    monkeypatch.setattr(base.asyncio, "wait_for", fake_wait_for)
    return got


def test_serve_reconnects_with_doubling_back_off_and_sends_the_subscriptions_again(waits: list[float]) -> None:
    feed = FlakyFeed(refusals=3, drop_after=4)
    feed.subscribe(["spy", "qqq"])
    got: list[MarketEvent] = []
    asyncio.run(feed.serve(got.append, asyncio.Event(), retry_initial=0.5, retry_max=1.5))
    assert [e.price for e in got if isinstance(e, Tick)] == [100.0 + i for i in range(10)]
    # three refusals back to back double the wait (capped); the drop after events starts again at 0.5
    assert waits == [0.5, 1.0, 1.5, 0.5]
    h = feed.health()
    assert h.reconnects == 4
    assert h.connected
    assert h.error == ""
    assert feed.sessions == [frozenset({"SPY", "QQQ"})] * 2


def test_serve_gives_up_after_max_reconnects_naming_the_error(waits: list[float]) -> None:
    feed = FlakyFeed(refusals=10, drop_after=None)
    with pytest.raises(FeedError, match=r"flaky failed 3 times.*connection refused"):
        asyncio.run(feed.serve(lambda _e: None, asyncio.Event(), max_reconnects=2))
    assert feed.health().reconnects == 2
    assert not feed.health().connected
    assert "ConnectionRefusedError" in feed.health().error


def test_a_permanent_error_is_not_retried(tmp_path: Path, waits: list[float]) -> None:
    q = _write(tmp_path / "IBM_quotes_tick.csv.gz", ["2013-10-07T09:30:00.100-04:00,10,1,10.1,1,P,0,0"],
               header="ts,bid,bid_size,ask,ask_size,exchange,condition,suspicious")
    with pytest.raises(DataError, match="quote files are not replayed"):
        asyncio.run(ReplayFeed([(q, "IBM")]).serve(lambda _e: None, asyncio.Event()))
    assert waits == []


def _ticks_file(tmp_path: Path) -> Path:
    rows = [f"2013-10-07T09:30:{i // 10:02d}.{i % 10}00-04:00,{10 + i / 100:.2f},100,P,1,{int(i == 7)}"
            for i in range(30)]
    return _write(tmp_path / "AAA_trades_tick.csv.gz", rows)


class DroppingReplay(ReplayFeed):
    """A file replay whose 'connection' drops after ``drop_at`` deliveries, once."""

    drop_at = 12

    async def run(self, handler: EventHandler, stop: asyncio.Event) -> None:
        n = 0

        def dropping(ev: MarketEvent) -> None:
            nonlocal n
            if n == self.drop_at:
                self.drop_at = -1
                raise ConnectionResetError("connection reset by peer")
            n += 1
            handler(ev)

        await super().run(dropping, stop)


def test_a_replay_resumes_after_a_reconnect_without_loss_or_repeat(tmp_path: Path, waits: list[float]) -> None:
    rejected: list[object] = []
    feed = DroppingReplay([(_ticks_file(tmp_path), "AAA")], on_reject=rejected.append)
    got: list[MarketEvent] = []
    asyncio.run(feed.serve(got.append, asyncio.Event(), retry_initial=0.1))
    prices = [e.price for e in got if isinstance(e, Tick)]
    assert prices == [10 + i / 100 for i in range(30) if i != 7]
    assert len(rejected) == 1  # the suspicious print is reported once, not again after the reconnect
    assert [e.trade_id for e in got if isinstance(e, Tick)][:8] == ["2", "3", "4", "5", "6", "7", "8", "10"]
    assert feed.health().reconnects == 1
    assert waits == [0.1]


def test_a_database_replay_resumes_after_the_last_delivered_row(sqlite_engine, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                 waits: list[float]) -> None:
    check_database_replay_resume(sqlite_engine, tmp_path)


def check_database_replay_resume(engine: Engine, tmp_path: Path) -> None:
    """Drop a database replay mid-timestamp; the resumed replay continues at the next (ts, symbol, seq)."""
    from theo.data.files import read_market_file
    from theo.persistence.writer import write_ticks

    rows = [f"2013-10-07T09:30:0{i // 4}.500-04:00,{10 + i / 100:.2f},100,P,1,0" for i in range(12)]
    cols = read_market_file(_write(tmp_path / "AAA_trades_tick.csv.gz", rows), "AAA").ticks
    assert cols is not None
    write_ticks(engine, cols, "import")  # four prints share each timestamp: seq 0..3

    class Dropping(DatabaseReplayFeed):
        dropped = False

        async def run(self, handler: EventHandler, stop: asyncio.Event) -> None:
            def h(ev: MarketEvent) -> None:
                if not self.dropped and isinstance(ev, Tick) and ev.price == 10.06:
                    self.dropped = True
                    raise ConnectionResetError("server closed the connection")
                handler(ev)

            await super().run(h, stop)

    from theo.persistence.repositories.market_data import MarketDataRepository

    feed = Dropping(MarketDataRepository(engine), ["AAA"], T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    got: list[MarketEvent] = []
    asyncio.run(feed.serve(got.append, asyncio.Event(), retry_initial=0.1))
    ticks = [e for e in got if isinstance(e, Tick)]
    assert [t.price for t in ticks] == [10 + i / 100 for i in range(12)]
    assert [t.trade_id for t in ticks[4:8]] == ["0", "1", "2", "3"]
    assert feed.health().reconnects == 1
