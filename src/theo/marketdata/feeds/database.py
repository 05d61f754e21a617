"""Replay of stored ticks or bars from the database, all symbols in one time-ordered stream."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy import Engine, select

from theo.domain.enums import SessionKind
from theo.domain.market import Bar, Tick, ensure_utc
from theo.errors import FeedError
from theo.marketdata.feeds.base import EventHandler, Feed, MarketEvent
from theo.marketdata.feeds.pacing import paced
from theo.storage.models.core import BarRow, TickRow


class DatabaseReplayFeed(Feed):
    """Stream stored ``ticks`` (ordered by time, symbol, seq) or ``bars`` of one timeframe (by end time)."""

    def __init__(self, engine: Engine, symbols: Sequence[str], start: datetime, end: datetime,
                 kind: Literal["ticks", "bars"] = "ticks", *, timeframe: str = "1m", speed: float | None = None,
                 source: str = "db-replay", chunk: int = 20_000) -> None:
        super().__init__(source)
        if kind not in ("ticks", "bars"):
            raise FeedError(f"database replay kind {kind!r} is not valid: use 'ticks' or 'bars'")
        self.engine = engine
        self.start = ensure_utc(start, "replay start")
        self.end = ensure_utc(end, "replay end")
        self.kind = kind
        self.timeframe = timeframe
        self.speed = speed
        self.chunk = chunk
        self.subscribe(symbols)

    def events(self) -> Iterator[MarketEvent]:
        self.connect()
        syms = sorted(self._subscribed)
        with self.engine.connect() as conn:
            if self.kind == "ticks":
                q = (select(TickRow.symbol, TickRow.ts, TickRow.price, TickRow.size, TickRow.exchange,
                            TickRow.condition)
                     .where(TickRow.symbol.in_(syms), TickRow.ts >= self.start, TickRow.ts < self.end)
                     .order_by(TickRow.ts, TickRow.symbol, TickRow.seq))
                for r in conn.execution_options(yield_per=self.chunk).execute(q):
                    tick = Tick(r.symbol, r.ts, r.price, r.size, self.name, r.exchange, r.condition)
                    self._seen(tick)
                    yield tick
            else:
                t = BarRow.__table__.c
                bq = (select(t.symbol, t.timeframe, t.start, t.end, t.open, t.high, t.low, t.close, t.volume,
                             t.tick_count, t.session, t.flags)
                      .where(t.symbol.in_(syms), t.timeframe == self.timeframe, t.start >= self.start,
                             t.start < self.end)
                      .order_by(t.end, t.symbol))
                for row in conn.execution_options(yield_per=self.chunk).execute(bq):
                    bar = Bar(row.symbol, row.timeframe, row.start, row.end, row.open, row.high, row.low,
                              row.close, row.volume, row.tick_count, SessionKind(row.session), self.name,
                              frozenset(f for f in row.flags.split(",") if f))
                    self._seen(bar)
                    yield bar

    async def run(self, handler: EventHandler, stop: asyncio.Event) -> None:
        await paced(self.events(), handler, stop, self.speed)
