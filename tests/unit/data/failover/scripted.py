"""A feed whose events a test script decides: a list for ``events``, pushes for ``run`` (an in-test feed)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta

from theo.core.errors import FeedError
from theo.data.feeds.base import EventHandler, Feed, MarketEvent
from theo.model.market import Bar, Tick


class ScriptedFeed(Feed):
    """``events``: the given events in order. ``run``: whatever :meth:`push` sends, until stopped;
    :meth:`drop` makes the running feed fail as a lost connection does (``serve`` then reconnects)."""

    def __init__(self, name: str, script: list[MarketEvent] | None = None) -> None:
        super().__init__(name)
        self.script = list(script or [])
        self.queue: asyncio.Queue[MarketEvent | None] = asyncio.Queue()
        self.up = True

    def connect(self) -> None:
        if not self.up:
            raise ConnectionError(f"{self.name} refuses connections")
        super().connect()

    def events(self) -> Iterator[MarketEvent]:
        for event in self.script:
            if event.symbol in self._subscribed:
                self._seen(event)
                yield event

    def push(self, event: MarketEvent) -> None:
        self.queue.put_nowait(event)

    def drop(self) -> None:
        self.up = False
        self.queue.put_nowait(None)

    async def run(self, handler: EventHandler, stop: asyncio.Event) -> None:
        while not stop.is_set():
            getter = asyncio.ensure_future(self.queue.get())
            stopper = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if getter not in done:
                getter.cancel()
                return
            event = getter.result()
            if event is None:
                raise FeedError(f"{self.name} lost its connection")
            if event.symbol in self._subscribed:
                self._seen(event)
                handler(event)


class ListBackfill:
    """Aggregates from a list of bars (the Backfill protocol), recording what was asked."""

    def __init__(self, bars: list[Bar]) -> None:
        self.bars = bars
        self.asked: list[tuple[str, datetime, datetime]] = []

    def aggregates(self, symbol: str, start: datetime, end: datetime, timespan: str = "minute",
                   multiplier: int = 1) -> list[Bar]:
        assert (timespan, multiplier) == ("minute", 1)
        self.asked.append((symbol, start, end))
        return [b for b in self.bars if b.symbol == symbol and start <= b.start < end]


def tape(symbol: str, start: datetime, prices: list[float], step: timedelta, source: str,
         size: float = 100.0) -> list[Tick]:
    """Prints at ``start + k * step``, stamped as received 20 ms later."""
    return [Tick(symbol, start + k * step, p, size, source, "", "", start + k * step + timedelta(milliseconds=20),
                 f"{source}-{k}") for k, p in enumerate(prices)]
