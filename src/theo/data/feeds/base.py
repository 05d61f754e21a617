"""The feed interface every market-data source implements (replay, synthetic, IBKR, Polygon).

A feed is connected, subscribed to symbols, and then either iterated in time order (:meth:`Feed.events`,
backtests and replays driven by a simulated clock) or run in real time (:meth:`Feed.run`, paper and
live). Every event carries the feed's name in ``source`` so a fail-over can be audited.

:meth:`Feed.serve` is the supervised form of ``run``: when the source drops (``FeedError`` or ``OSError``
such as ``ConnectionError`` from ``connect`` or ``run``) it disconnects, waits with exponential back-off,
reconnects, re-subscribes the same symbols and runs again, counting reconnects in :class:`FeedHealth`.
Adapters override ``connect``/``disconnect``/``subscribe``/``unsubscribe``/``run``; a re-sent message after
a reconnect keeps its ``trade_id`` so the quality gate rejects it as a duplicate.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

import structlog

from theo.core.errors import FeedError
from theo.model.market import Bar, Quote, Tick

log = structlog.get_logger(__name__)

MarketEvent = Tick | Bar | Quote
EventHandler = Callable[[MarketEvent], None]


def event_time(event: MarketEvent) -> datetime:
    """The time an event is ordered by: tick/quote time, or a bar's end (when it becomes known)."""
    return event.end if isinstance(event, Bar) else event.ts


@dataclass(frozen=True, slots=True)
class FeedHealth:
    """A feed's state for health checks and fail-over decisions."""

    name: str
    connected: bool
    last_event_at: datetime | None
    reconnects: int = 0
    events: int = 0
    subscribed: frozenset[str] = field(default_factory=frozenset)
    error: str = ""


class Feed(ABC):
    """A source of market events (see the module docstring for the contract)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._connected = False
        self._subscribed: set[str] = set()
        self._last_event_at: datetime | None = None
        self._reconnects = 0
        self._events = 0
        self._error = ""

    # -- lifecycle -----------------------------------------------------------------------------------------
    def connect(self) -> None:
        """Open the source (files, socket). Idempotent."""
        self._connected = True

    def disconnect(self) -> None:
        """Close the source. Idempotent."""
        self._connected = False

    def subscribe(self, symbols: Iterable[str]) -> None:
        """Receive events for ``symbols`` (added to the current set)."""
        self._subscribed.update(s.upper() for s in symbols)

    def unsubscribe(self, symbols: Iterable[str]) -> None:
        """Stop events for ``symbols``."""
        self._subscribed.difference_update(s.upper() for s in symbols)

    @property
    def subscribed(self) -> frozenset[str]:
        return frozenset(self._subscribed)

    def health(self) -> FeedHealth:
        return FeedHealth(self.name, self._connected, self._last_event_at, self._reconnects, self._events,
                          frozenset(self._subscribed), self._error)

    def _seen(self, event: MarketEvent) -> None:
        self._events += 1
        self._last_event_at = event_time(event)

    # -- delivery ------------------------------------------------------------------------------------------
    @abstractmethod
    def events(self) -> Iterator[MarketEvent]:
        """Every event of the subscribed symbols in time order (as fast as the consumer takes them)."""

    @abstractmethod
    async def run(self, handler: EventHandler, stop: asyncio.Event) -> None:
        """Deliver events in real time (paced) to ``handler`` until exhausted or ``stop`` is set."""

    async def serve(self, handler: EventHandler, stop: asyncio.Event, *, retry_initial: float = 1.0,
                    retry_max: float = 60.0, max_reconnects: int | None = None) -> None:
        """Run until exhausted or ``stop``, reconnecting with back-off whenever the source drops.

        The wait doubles after each failure without events in between (from ``retry_initial`` up to
        ``retry_max`` seconds) and starts again at ``retry_initial`` once events flow. After
        ``max_reconnects`` reconnects the last failure is raised as a :class:`FeedError`.
        """
        delay = retry_initial
        events_at_failure = -1
        while not stop.is_set():
            try:
                self.connect()
                self._error = ""
                await self.run(handler, stop)
                return
            except (FeedError, OSError) as exc:
                self._error = f"{type(exc).__name__}: {exc}"
                self.disconnect()
                if max_reconnects is not None and self._reconnects >= max_reconnects:
                    raise FeedError(f"feed {self.name} failed {self._reconnects + 1} times, giving up: "
                                    f"{self._error}") from exc
                if self._events != events_at_failure:
                    delay = retry_initial  # events flowed since the last failure: a fresh outage
                events_at_failure = self._events
                log.warning("feed disconnected; reconnecting", feed=self.name, error=self._error,
                            retry_in_s=delay, reconnects=self._reconnects)
                try:
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                    return
                except TimeoutError:
                    pass
                delay = min(delay * 2, retry_max)
                self._reconnects += 1
                self.subscribe(sorted(self._subscribed))  # adapters send the subscriptions again on the new session
