"""The ``ticks`` table: bulk writes, counts, replay in time order and the bucket ``GROUP BY`` of stored bars."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, literal, select, text, tuple_

from theo.core.time import from_us
from theo.data.bars.sql import Bucket, BucketWindow
from theo.data.feeds.database import StoredTick
from theo.data.files import TickColumns
from theo.persistence import writer
from theo.persistence.models.core import TickRow
from theo.persistence.repositories.base import Repository
from theo.persistence.types import UTCDateTime

#: One window's buckets, with integer-microsecond bucket arithmetic so the same statement runs on SQLite
#: (``ts`` is integer µs) and plain PostgreSQL (``ts`` is ``timestamptz``, converted with
#: ``EXTRACT(EPOCH ...)``, exact to the microsecond).
_BUCKETS = """
WITH t AS (
  SELECT {ts_us} AS ts_us, seq, price, size,
         CASE WHEN condition IN :conds THEN 1 ELSE 0 END AS elig
  FROM ticks WHERE symbol = :symbol AND ts >= :a AND ts < :b
), b AS (
  SELECT ts_us, seq, price, size, elig, :origin + ((ts_us - :origin) / :step) * :step AS bucket FROM t
), u AS (
  SELECT b.*, MAX(elig) OVER (PARTITION BY bucket) AS has_elig FROM b
), c AS (
  SELECT u.*, CASE WHEN elig >= has_elig THEN 1 ELSE 0 END AS counts,
         ROW_NUMBER() OVER (PARTITION BY bucket, CASE WHEN elig >= has_elig THEN 1 ELSE 0 END
                            ORDER BY ts_us, seq) AS rn_first,
         ROW_NUMBER() OVER (PARTITION BY bucket, CASE WHEN elig >= has_elig THEN 1 ELSE 0 END
                            ORDER BY ts_us DESC, seq DESC) AS rn_last
  FROM u
)
SELECT bucket,
       MAX(CASE WHEN counts = 1 AND rn_first = 1 THEN price END) AS open,
       MAX(CASE WHEN counts = 1 THEN price END) AS high,
       MIN(CASE WHEN counts = 1 THEN price END) AS low,
       MAX(CASE WHEN counts = 1 AND rn_last = 1 THEN price END) AS close,
       SUM(size) AS volume, COUNT(*) AS n, MAX(has_elig) AS regular
FROM c GROUP BY bucket ORDER BY bucket
"""


class TickRepository(Repository):
    """Trade prints, keyed by (symbol, ts, seq)."""

    def write_ticks(self, ticks: TickColumns, source: str, progress: Callable[[int], None] | None = None) -> int:
        """Store ticks idempotently (see :mod:`theo.persistence.writer`); return how many were new.

        ``progress`` is called with the number of ticks written so far after each batch.
        """
        return writer.write_ticks(self.engine, ticks, source, progress=progress).inserted

    def count_ticks(self, symbol: str) -> int:
        """Stored ticks of ``symbol``."""
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(TickRow).where(TickRow.symbol == symbol))
                       .scalar_one())

    def tick_buckets(self, symbol: str, windows: Sequence[BucketWindow], ohlc_conditions: Sequence[str],
                     progress: Callable[[int], None] | None = None) -> list[list[Bucket]]:
        """OHLCV buckets of each window (one ``GROUP BY`` per window, all on one connection); ``progress`` is
        called with the windows done after each one."""
        ts_expr = "ts" if self.dialect == "sqlite" else "CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT)"
        stmt = text(_BUCKETS.format(ts_us=ts_expr)).bindparams(
            bindparam("conds", expanding=True), bindparam("a", type_=UTCDateTime()),
            bindparam("b", type_=UTCDateTime()))
        out: list[list[Bucket]] = []
        with self.engine.connect() as conn:
            for w in windows:
                rows = conn.execute(stmt, {"conds": list(ohlc_conditions), "symbol": symbol, "a": from_us(w.lo_us),
                                           "b": from_us(w.hi_us), "origin": w.origin_us, "step": w.step_us})
                out.append([Bucket(int(r.bucket), float(r.open), float(r.high), float(r.low), float(r.close),
                                   float(r.volume), int(r.n), bool(r.regular)) for r in rows])
                if progress is not None:
                    progress(len(out))
        return out

    def replay_ticks(self, symbols: Sequence[str], start: datetime, end: datetime,
                     after: tuple[datetime, str, int] | None, chunk: int) -> Iterator[StoredTick]:
        """Ticks of ``symbols`` in ``[start, end)`` by (ts, symbol, seq), strictly after ``after``; streamed."""
        q = (select(TickRow.symbol, TickRow.ts, TickRow.seq, TickRow.price, TickRow.size, TickRow.exchange,
                    TickRow.condition)
             .where(TickRow.symbol.in_(symbols), TickRow.ts >= start, TickRow.ts < end)
             .order_by(TickRow.ts, TickRow.symbol, TickRow.seq))
        if after is not None:
            q = q.where(tuple_(TickRow.ts, TickRow.symbol, TickRow.seq) > tuple_(
                literal(after[0], TickRow.ts.type), literal(after[1]), literal(after[2])))
        with self.engine.connect() as conn:
            for r in conn.execution_options(yield_per=chunk).execute(q):
                yield StoredTick._make(r)
