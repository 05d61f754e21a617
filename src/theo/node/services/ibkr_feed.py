"""IBKR market data as a :class:`~theo.data.feeds.base.Feed` for the collector, on its own look-only session.

The market-data service is the same :class:`~theo.data.feeds.pushed.PushedFeed` the live run composes with
its fail-over feed; this feed adds the session the collector has to own. The session is ``readonly`` (no
orders, TWS's open orders not fetched), so any account may be used to record data; it keeps itself up
(:meth:`IbkrSession.run` probes the link and reconnects) and the market-data service requests its streams
again after every reconnect. :meth:`IbkrFeed.run` therefore returns only when stopped, and a refused account
or client id is raised at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from theo.adapters.ibkr.connection import IbkrSession
from theo.adapters.ibkr.data import IbkrMarketData
from theo.config import TheoConfig
from theo.data.feeds.base import EventHandler, FeedHealth
from theo.data.feeds.pushed import PushedFeed


class IbkrFeed(PushedFeed):
    """Trades and quotes of the subscribed symbols from TWS / IB Gateway (``[execution.ibkr]``).

    ``now`` is the clock the prints' arrival is stamped with (a test shifts it into a session)."""

    def __init__(self, config: TheoConfig, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.session = IbkrSession(config.execution.ibkr, readonly=True, now=now)
        self.market = IbkrMarketData(self.session, config, now=now)
        super().__init__("ibkr", self.market, lambda: self.session.ready)

    def health(self) -> FeedHealth:
        return replace(super().health(), reconnects=self.session.reconnects, error=self.session.last_error)

    async def run(self, handler: EventHandler, stop: asyncio.Event) -> None:
        """Connect (retrying until stopped), stream the subscribed symbols to ``handler`` until ``stop``."""
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
            streaming = asyncio.ensure_future(super().run(handler, stop))  # stops the market data on its way out
            try:
                await asyncio.wait((streaming, runner), return_when=asyncio.FIRST_COMPLETED)
            finally:
                streaming.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await streaming  # a stream that could not start raises here
        finally:
            for task in (stopper, connecting):
                task.cancel()
            await self.session.close()
            if runner is not None:
                runner.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                    await runner
            self._connected = False
