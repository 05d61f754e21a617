"""Adapters between the two shapes of a real-time source.

* :class:`PushedFeed`: a source that pushes events by itself once started, with its own reconnects (IBKR's
  market-data service: ``start(symbols, handler)`` / ``stop()``), seen as a :class:`Feed` so it can be
  composed (the fail-over supervisor takes two feeds). Its connection state comes from the source's session.
* :class:`FeedTask`: any :class:`Feed` run in the background behind ``start``/``stop``, the shape the live run
  drives its market data with.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Protocol

from theo.core.errors import FeedError
from theo.data.feeds.base import EventHandler, Feed, FeedHealth, MarketEvent


class PushSource(Protocol):
    """A real-time source that delivers to a handler once started."""

    async def start(self, symbols: Sequence[str], handler: EventHandler) -> None: ...

    async def stop(self) -> None: ...


class PushedFeed(Feed):
    """A :class:`PushSource` as a :class:`Feed` (see the module docstring); real time only."""

    def __init__(self, name: str, source: PushSource, connected: Callable[[], bool]) -> None:
        super().__init__(name)
        self.source = source
        self._is_connected = connected

    def health(self) -> FeedHealth:
        return replace(super().health(), connected=self._is_connected())

    def events(self) -> Iterator[MarketEvent]:
        raise FeedError(f"feed {self.name} is a real-time source; it has no replay (use run)")

    async def run(self, handler: EventHandler, stop: asyncio.Event) -> None:
        """Start the source on the subscribed symbols and deliver until ``stop``; the source reconnects itself."""
        def deliver(event: MarketEvent) -> None:
            self._seen(event)
            handler(event)

        await self.source.start(sorted(self._subscribed), deliver)
        try:
            await stop.wait()
        finally:
            await self.source.stop()


class FeedTask:
    """Serve a :class:`Feed` in the background between :meth:`start` and :meth:`stop`."""

    def __init__(self, feed: Feed) -> None:
        self.feed = feed
        self._stop = asyncio.Event()
        self._task: asyncio.Future[None] | None = None

    async def start(self, symbols: Sequence[str], handler: EventHandler) -> None:
        self.feed.subscribe(symbols)
        self._stop = asyncio.Event()
        self._task = asyncio.ensure_future(self.feed.serve(handler, self._stop))

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
