"""Small builders shared by the bar tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from theo.core.bus import InMemoryBus
from theo.core.calendar import ET, get_calendar
from theo.core.clock import SimulatedClock
from theo.data.bars.aggregator import BarAggregator
from theo.data.rejection import Rejection
from theo.model.market import Bar, Tick


def et(y: int, mo: int, d: int, h: int, mi: int, s: float = 0.0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=ET) + timedelta(seconds=s)


def tick(ts: datetime, price: float, size: float = 100.0, symbol: str = "SPY", condition: str = "") -> Tick:
    return Tick(symbol, ts, price, size, "test", "P", condition)


class Harness:
    """An aggregator wired to lists, a bus and a simulated clock."""

    def __init__(self, timeframes: list[str], lateness: float = 2.0, start: datetime | None = None) -> None:
        self.bars: list[Bar] = []
        self.quarantine: list[Rejection] = []
        self.bus = InMemoryBus(raise_errors=True)
        self.topics: list[str] = []
        self.bus.subscribe("bars.>", lambda t, _m: self.topics.append(t))
        self.clock = SimulatedClock(start or et(2013, 10, 7, 3, 0))
        cal = get_calendar()
        self.agg = BarAggregator(timeframes, lambda _s: cal, self.bus, self.clock, timedelta(seconds=lateness),
                                 on_bar=self.bars.append, on_quarantine=self.quarantine.append)

    def of(self, tf: str) -> list[Bar]:
        return [b for b in self.bars if b.timeframe == tf]
