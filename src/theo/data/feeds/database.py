"""Replay of stored ticks or bars from the database, all symbols in one time-ordered stream."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Literal, NamedTuple, Protocol

from theo.core.errors import FeedError
from theo.data.feeds.base import EventHandler, Feed, MarketEvent
from theo.data.feeds.pacing import paced
from theo.model.enums import SessionKind
from theo.model.market import Bar, Tick, ensure_utc


class StoredTick(NamedTuple):
    """A stored print; ``(ts, seq)`` names it among the prints of its symbol."""

    symbol: str
    ts: datetime
    seq: int
    price: float
    size: float
    exchange: str
    condition: str


class StoredBar(NamedTuple):
    """A stored bar; ``flags`` as stored (comma-separated)."""

    symbol: str
    timeframe: str
    start: datetime
    end: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float
    tick_count: int
    session: str
    flags: str


class ReplayStore(Protocol):
    """Stored market data read in replay order, resumable after a position."""

    def replay_ticks(self, symbols: Sequence[str], start: datetime, end: datetime,
                     after: tuple[datetime, str, int] | None, chunk: int) -> Iterator[StoredTick]:
        """Ticks of ``symbols`` in ``[start, end)`` ordered by (ts, symbol, seq), strictly after ``after``."""
        ...

    def replay_bars(self, symbols: Sequence[str], timeframe: str, start: datetime, end: datetime,
                    after: tuple[datetime, str] | None, chunk: int) -> Iterator[StoredBar]:
        """Bars starting in ``[start, end)`` ordered by (end, symbol), strictly after ``after``."""
        ...


class DatabaseReplayFeed(Feed):
    """Stream stored ``ticks`` (ordered by time, symbol, seq) or ``bars`` of one timeframe (by end time)."""

    def __init__(self, store: ReplayStore, symbols: Sequence[str], start: datetime, end: datetime,
                 kind: Literal["ticks", "bars"] = "ticks", *, timeframe: str = "1m", speed: float | None = None,
                 source: str = "db-replay", chunk: int = 20_000) -> None:
        super().__init__(source)
        if kind not in ("ticks", "bars"):
            raise FeedError(f"database replay kind {kind!r} is not valid: use 'ticks' or 'bars'")
        self.store = store
        self.start = ensure_utc(start, "replay start")
        self.end = ensure_utc(end, "replay end")
        self.kind = kind
        self.timeframe = timeframe
        self.speed = speed
        self.chunk = chunk
        self._position: tuple[datetime, str, int] | None = None
        self._delivered: tuple[datetime, str, int] | None = None  # resume point after a reconnect
        self.subscribe(symbols)

    def events(self) -> Iterator[MarketEvent]:
        return self._stream(None)

    def _stream(self, after: tuple[datetime, str, int] | None) -> Iterator[MarketEvent]:
        self.connect()
        syms = sorted(self._subscribed)
        if self.kind == "ticks":
            for t in self.store.replay_ticks(syms, self.start, self.end, after, self.chunk):
                # (ts, seq) names the stored print: a re-delivered row is a duplicate at the gate
                tick = Tick(t.symbol, t.ts, t.price, t.size, self.name, t.exchange, t.condition, None, str(t.seq))
                self._seen(tick)
                self._position = (t.ts, t.symbol, t.seq)
                yield tick
        else:
            bars_after = None if after is None else (after[0], after[1])
            for b in self.store.replay_bars(syms, self.timeframe, self.start, self.end, bars_after, self.chunk):
                bar = Bar(b.symbol, b.timeframe, b.start, b.end, b.open, b.high, b.low, b.close, b.volume,
                          b.tick_count, SessionKind(b.session), self.name,
                          frozenset(f for f in b.flags.split(",") if f))
                self._seen(bar)
                self._position = (b.end, b.symbol, 0)
                yield bar

    async def run(self, handler: EventHandler, stop: asyncio.Event) -> None:
        """Deliver paced events; after a disconnect, a new ``run`` resumes after the last event delivered."""
        pending: tuple[datetime, str, int] | None = None

        def events() -> Iterator[MarketEvent]:
            nonlocal pending
            for ev in self._stream(self._delivered):
                pending = self._position
                yield ev

        def deliver(ev: MarketEvent) -> None:
            handler(ev)
            self._delivered = pending

        await paced(events(), deliver, stop, self.speed)
