"""The feed interface every market-data source implements (replay, synthetic, IBKR, Polygon).

A feed is connected, subscribed to symbols, and then either iterated in time order (:meth:`Feed.events`,
backtests and replays driven by a simulated clock) or run in real time (:meth:`Feed.run`, paper and
live). Every event carries the feed's name in ``source`` so a fail-over can be audited. Live adapters
reconnect by themselves and count it in :class:`FeedHealth`.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from theo.domain.market import Bar, Quote, Tick

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
