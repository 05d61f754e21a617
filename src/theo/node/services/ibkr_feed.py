"""IBKR market data as a :class:`~theo.data.feeds.base.Feed` for the collector, on its own look-only session.

The session is ``readonly`` (no orders, TWS's open orders not fetched), so any account may be used to record
data; it keeps itself up (:meth:`IbkrSession.run` probes the link and reconnects) and the market-data service
requests its streams again after every reconnect. :meth:`IbkrFeed.run` therefore returns only when stopped,
and a refused account or client id is raised at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

from theo.adapters.ibkr.connection import IbkrSession
from theo.adapters.ibkr.data import IbkrMarketData
from theo.config import TheoConfig
from theo.core.errors import FeedError
from theo.data.feeds.base import EventHandler, Feed, FeedHealth, MarketEvent


class IbkrFeed(Feed):
    """Trades and quotes of the subscribed symbols from TWS / IB Gateway (``[execution.ibkr]``)."""

    def __init__(self, config: TheoConfig) -> None:
        super().__init__("ibkr")
        self.session = IbkrSession(config.execution.ibkr, readonly=True)
        self.market = IbkrMarketData(self.session, config)

    def health(self) -> FeedHealth:
        h = super().health()
        return FeedHealth(h.name, self.session.ready, h.last_event_at, self.session.reconnects, h.events,
                          h.subscribed, self.session.last_error)

    def events(self) -> Iterator[MarketEvent]:
        raise FeedError("the IBKR feed is real time only; it has no replay (use run)")

    async def run(self, handler: EventHandler, stop: asyncio.Event) -> None:
        """Connect (retrying until stopped), stream the subscribed symbols to ``handler`` until ``stop``."""
        def deliver(event: MarketEvent) -> None:
            self._seen(event)
            handler(event)

        stopper: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
        connecting: asyncio.Future[Any] = asyncio.ensure_future(self.session.connect())
        runner: asyncio.Future[Any] | None = None
        try:
            await asyncio.wait((stopper, connecting), return_when=asyncio.FIRST_COMPLETED)
            if not connecting.done():
                return
            connecting.result()  # a refused account or client id stops here, with its message
            runner = asyncio.ensure_future(self.session.run())
            self._connected = True
            await self.market.start(sorted(self._subscribed), deliver)
            await asyncio.wait((stopper, runner), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (stopper, connecting):
                task.cancel()
            with contextlib.suppress(Exception):
                await self.market.stop()
            await self.session.close()
            if runner is not None:
                runner.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                    await runner
            self._connected = False
