"""Bars aggregated in SQL from the stored ticks: the check on (and fallback to) the streaming bars.

One ``GROUP BY`` per session segment with integer-microsecond bucket arithmetic, so the same statement
runs on SQLite (``ts`` is integer µs) and plain PostgreSQL (``ts`` is ``timestamptz``, converted with
``EXTRACT(EPOCH ...)``, exact to the microsecond). Buckets are aligned to the segment start (09:30 ET
for the regular session), the rule of :mod:`theo.data.bars.timeframes`; TimescaleDB's ``time_bucket`` with an
``origin`` gives the same buckets. Open/close are the first/last print by ``(ts, seq)`` among the
prints whose condition counts (else among all prints, flagged ``no_regular_prints``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, bindparam, text

from theo.core.calendar import MarketCalendar, get_calendar
from theo.data.bars.batch import BarArrays
from theo.data.bars.timeframes import Timeframe, parse_timeframe, segments_between
from theo.data.conditions import ConditionFilter
from theo.model.enums import SessionKind
from theo.persistence.types import UTCDateTime, from_micros, to_micros

_KINDS = (SessionKind.PRE, SessionKind.REGULAR, SessionKind.POST)

_SQL = """
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


def aggregate_sql(engine: Engine, symbol: str, timeframe: str | Timeframe, start: datetime, end: datetime,
                  calendar: MarketCalendar | None = None, conditions: ConditionFilter | None = None) -> BarArrays:
    """Aggregate the stored ticks of ``symbol`` in ``[start, end)`` into session-aligned bars."""
    import numpy as np

    tf = parse_timeframe(timeframe) if isinstance(timeframe, str) else timeframe
    calendar = calendar or get_calendar()
    conditions = conditions or ConditionFilter()
    ts_expr = "ts" if engine.dialect.name == "sqlite" else "CAST(EXTRACT(EPOCH FROM ts) * 1000000 AS BIGINT)"
    stmt = text(_SQL.format(ts_us=ts_expr)).bindparams(
        bindparam("conds", expanding=True), bindparam("a", type_=UTCDateTime()), bindparam("b", type_=UTCDateTime()))
    rows: list[tuple[int, int, float, float, float, float, float, int, int, bool]] = []
    a_us, b_us = to_micros(start), to_micros(end)
    with engine.connect() as conn:
        for seg in segments_between(calendar, start, end):
            if tf.daily and seg.kind is not SessionKind.REGULAR:
                continue
            lo, hi = max(seg.start_us, a_us), min(seg.end_us, b_us)
            step = tf.step_us if tf.step_us is not None else seg.end_us - seg.start_us
            for r in conn.execute(stmt, {"conds": conditions.sql_values(), "symbol": symbol, "a": from_micros(lo),
                                         "b": from_micros(hi), "origin": seg.start_us, "step": step}):
                b0 = int(r.bucket)
                rows.append((b0, min(b0 + step, seg.end_us), float(r.open), float(r.high), float(r.low),
                             float(r.close), float(r.volume), int(r.n), _KINDS.index(seg.kind), bool(r.regular)))
    cols: list[tuple[object, ...]] = list(zip(*rows, strict=True)) if rows else [() for _ in range(10)]
    return BarArrays(symbol, tf.label, np.array(cols[0], dtype=np.int64), np.array(cols[1], dtype=np.int64),
                     np.array(cols[2], dtype=float), np.array(cols[3], dtype=float), np.array(cols[4], dtype=float),
                     np.array(cols[5], dtype=float), np.array(cols[6], dtype=float),
                     np.array(cols[7], dtype=np.int64), np.array(cols[8], dtype=np.int8),
                     np.array(cols[9], dtype=bool))
