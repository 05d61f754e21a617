"""The ``bars`` table: bulk writes, reads by range (column-wise or as bars) and replay in time order."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

import numpy as np
from sqlalchemy import Select, func, literal, select, tuple_

from theo.core.time import to_us
from theo.data.bars.stored import StoredBarColumns
from theo.data.feeds.database import StoredBar
from theo.data.files import BarColumns
from theo.model.enums import SessionKind
from theo.model.market import Bar
from theo.persistence import writer
from theo.persistence.models.core import BarRow
from theo.persistence.repositories.base import Repository

_T = BarRow.__table__.c


def _in_range(q: Select[tuple[object, ...]], symbol: str, timeframe: str, start: datetime | None,
              end: datetime | None) -> Select[tuple[object, ...]]:
    q = q.where(_T.symbol == symbol, _T.timeframe == timeframe)
    if start is not None:
        q = q.where(_T.start >= start)
    if end is not None:
        q = q.where(_T.start < end)
    return q.order_by(_T.start)


class BarRepository(Repository):
    """OHLCV bars of every timeframe, keyed by (symbol, timeframe, start)."""

    def write_bars(self, bars: BarColumns | Sequence[Bar], source: str) -> int:
        """Store bars idempotently (a bar already stored is kept); return how many were new."""
        return writer.write_bars(self.engine, bars, source).inserted

    def bar_columns(self, symbol: str, timeframe: str, start: datetime | None = None,
                    end: datetime | None = None) -> StoredBarColumns:
        """Bars of ``symbol`` in ``timeframe`` starting in ``[start, end)`` (open-ended when None), oldest first."""
        q = _in_range(select(_T.start, _T.end, _T.open, _T.high, _T.low, _T.close, _T.volume, _T.session),
                      symbol, timeframe, start, end)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        cols = list(zip(*rows, strict=True)) if rows else [() for _ in range(8)]
        return StoredBarColumns(
            symbol, timeframe, np.array([to_us(t) for t in cols[0]], dtype=np.int64),
            np.array([to_us(t) for t in cols[1]], dtype=np.int64), np.array(cols[2], dtype=np.float64),
            np.array(cols[3], dtype=np.float64), np.array(cols[4], dtype=np.float64),
            np.array(cols[5], dtype=np.float64), np.array(cols[6], dtype=np.float64),
            np.array(cols[7], dtype=np.str_))

    def stored_bars(self, symbol: str, timeframe: str, start: datetime | None = None,
                    end: datetime | None = None) -> list[Bar]:
        """The same bars as :meth:`bar_columns`, as :class:`Bar` records with their source and flags."""
        q = _in_range(select(_T.symbol, _T.timeframe, _T.start, _T.end, _T.open, _T.high, _T.low, _T.close,
                             _T.volume, _T.tick_count, _T.session, _T.source, _T.flags),
                      symbol, timeframe, start, end)
        with self.engine.connect() as conn:
            return [Bar(r.symbol, r.timeframe, r.start, r.end, r.open, r.high, r.low, r.close, r.volume, r.tick_count,
                        SessionKind(r.session), r.source, frozenset(f for f in r.flags.split(",") if f))
                    for r in conn.execute(q)]

    def coverage(self) -> list[tuple[str, str, datetime, datetime]]:
        """Each stored (symbol, timeframe) with the start of its first and last bar, by symbol then timeframe."""
        q = (select(_T.symbol, _T.timeframe, func.min(_T.start), func.max(_T.start))
             .group_by(_T.symbol, _T.timeframe).order_by(_T.symbol, _T.timeframe))
        with self.engine.connect() as conn:
            return [(sym, tf, lo, hi) for sym, tf, lo, hi in conn.execute(q)]

    def last_start(self, symbol: str, timeframe: str) -> datetime | None:
        """The start of ``symbol``'s newest stored bar of ``timeframe``, None when none is stored."""
        q = select(func.max(_T.start)).where(_T.symbol == symbol, _T.timeframe == timeframe)
        with self.engine.connect() as conn:
            found: datetime | None = conn.execute(q).scalar()
        return found

    def last_close(self, symbol: str, since: datetime | None = None) -> float | None:
        """The close of ``symbol``'s newest stored bar (by end, any timeframe) ending at or after ``since``;
        None when none is stored."""
        q = select(_T.close).where(_T.symbol == symbol)
        if since is not None:
            q = q.where(_T.end >= since)
        q = q.order_by(_T.end.desc()).limit(1)
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return None if row is None else row[0]

    def replay_bars(self, symbols: Sequence[str], timeframe: str, start: datetime, end: datetime,
                    after: tuple[datetime, str] | None, chunk: int) -> Iterator[StoredBar]:
        """Bars starting in ``[start, end)`` by (end, symbol), strictly after ``after``; streamed."""
        q = (select(_T.symbol, _T.timeframe, _T.start, _T.end, _T.open, _T.high, _T.low, _T.close, _T.volume,
                    _T.tick_count, _T.session, _T.flags)
             .where(_T.symbol.in_(symbols), _T.timeframe == timeframe, _T.start >= start, _T.start < end)
             .order_by(_T.end, _T.symbol))
        if after is not None:
            q = q.where(tuple_(_T.end, _T.symbol) > tuple_(literal(after[0], _T.end.type), literal(after[1])))
        with self.engine.connect() as conn:
            for r in conn.execution_options(yield_per=chunk).execute(q):
                yield StoredBar._make(r)
