"""In real time the first bar began before the collector did: published on the bus, not stored as if whole."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, text

from tests.integration.collector.conftest import collector_config
from theo.core.bus.memory import InMemoryBus
from theo.core.clock import LiveClock
from theo.data.feeds.base import EventHandler, Feed, MarketEvent
from theo.model.market import Bar, Tick
from theo.node.services.collector import Collector


class ShiftedClock(LiveClock):
    """The wall clock moved into a session: 2 s before 10:01 New York on a Monday when the test starts."""

    def __init__(self) -> None:
        super().__init__()
        self.offset = datetime(2026, 1, 5, 15, 0, 58, tzinfo=UTC) - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


class PrintsNow(Feed):
    """A print every 100 ms, stamped with the clock's now (a real-time feed)."""

    def __init__(self, clock: LiveClock) -> None:
        super().__init__("test")
        self.clock = clock

    def events(self) -> list[MarketEvent]:  # type: ignore[override]
        return []

    async def run(self, handler: EventHandler, stop: asyncio.Event) -> None:
        k = 0
        while not stop.is_set():
            now = self.clock.now()
            handler(Tick("SPY", now, 100 + k / 100, 100, "test", received=now))
            k += 1
            await asyncio.sleep(0.1)


def test_the_first_bar_is_published_but_not_stored(sqlite_engine: Engine, tmp_path: Path) -> None:
    clock = ShiftedClock()
    bus = InMemoryBus()
    bars: list[Bar] = []
    bus.subscribe("bars.1m.SPY", lambda _t, b: bars.append(b))

    async def go() -> None:
        collector = Collector(collector_config(tmp_path / "var"), sqlite_engine, PrintsNow(clock), bus, clock=clock)
        stop = asyncio.Event()
        task = asyncio.ensure_future(collector.run(stop))
        deadline = asyncio.get_running_loop().time() + 15
        while not bars:  # 10:00 closes at 10:01:02 (the bar's end plus the 2 s lateness)
            assert asyncio.get_running_loop().time() < deadline, "the 10:00 bar never closed"
            await asyncio.sleep(0.05)
        stop.set()
        summary = await task
        assert summary.symbols["SPY"].stored == summary.symbols["SPY"].accepted > 20

    asyncio.run(go())
    [bar] = bars
    assert bar.start == datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
    assert bar.tick_count <= 25  # only the last two seconds or so of its minute
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM bars")).scalar_one() == 0
        assert conn.execute(text("SELECT COUNT(*) FROM ticks")).scalar_one() > 20
    assert bar.end - bar.start == timedelta(minutes=1)
