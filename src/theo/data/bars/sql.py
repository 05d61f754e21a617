"""Bars aggregated by the store from its ticks: the check on (and fallback to) the streaming bars.

The store groups the prints of each session segment into buckets aligned to the segment start (09:30 ET
for the regular session), the rule of :mod:`theo.data.bars.timeframes`; TimescaleDB's ``time_bucket``
with an ``origin`` gives the same buckets. Open/close are the first/last print by ``(ts, seq)`` among the
prints whose condition counts (else among all prints, flagged ``no_regular_prints``). This module cuts
the range into segments and windows; the store runs one ``GROUP BY`` per window.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import NamedTuple, Protocol

import numpy as np

from theo.core.calendar import MarketCalendar, get_calendar
from theo.core.time import to_us
from theo.data.bars.batch import BarArrays
from theo.data.bars.timeframes import Segment, Timeframe, parse_timeframe, segments_between
from theo.data.conditions import ConditionFilter
from theo.model.enums import SessionKind

_KINDS = (SessionKind.PRE, SessionKind.REGULAR, SessionKind.POST)


class BucketWindow(NamedTuple):
    """Ticks in ``[lo_us, hi_us)`` grouped into buckets of ``step_us`` counted from ``origin_us``."""

    lo_us: int
    hi_us: int
    origin_us: int
    step_us: int


class Bucket(NamedTuple):
    """One bucket's OHLCV from the prints that count; ``regular`` is False when none did (all prints used)."""

    start_us: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    ticks: int
    regular: bool


class TickBuckets(Protocol):
    """A store that buckets its ticks (the ``GROUP BY`` lives with the store)."""

    def tick_buckets(self, symbol: str, windows: Sequence[BucketWindow], ohlc_conditions: Sequence[str],
                     progress: Callable[[int], None] | None = None) -> list[list[Bucket]]:
        """The buckets of each window, oldest first; a print counts when its condition is in ``ohlc_conditions``.
        ``progress`` is called with the number of windows done after each one."""
        ...


def aggregate_sql(store: TickBuckets, symbol: str, timeframe: str | Timeframe, start: datetime, end: datetime,
                  calendar: MarketCalendar | None = None, conditions: ConditionFilter | None = None,
                  progress: Callable[[int, int], None] | None = None) -> BarArrays:
    """Aggregate the stored ticks of ``symbol`` in ``[start, end)`` into session-aligned bars; ``progress`` is
    told ``(sessions done, sessions)`` as the store works through the session segments."""
    tf = parse_timeframe(timeframe) if isinstance(timeframe, str) else timeframe
    calendar = calendar or get_calendar()
    conditions = conditions or ConditionFilter()
    a_us, b_us = to_us(start), to_us(end)
    windows: list[BucketWindow] = []
    segments: list[Segment] = []
    for seg in segments_between(calendar, start, end):
        if tf.daily and seg.kind is not SessionKind.REGULAR:
            continue
        step = tf.step_us if tf.step_us is not None else seg.end_us - seg.start_us
        windows.append(BucketWindow(max(seg.start_us, a_us), min(seg.end_us, b_us), seg.start_us, step))
        segments.append(seg)
    rows: list[tuple[int, int, float, float, float, float, float, int, int, bool]] = []
    def done(k: int) -> None:
        if progress is not None:
            progress(k, len(windows))

    for seg, window, buckets in zip(segments, windows,
                                    store.tick_buckets(symbol, windows, conditions.sql_values(), done), strict=True):
        for b in buckets:
            rows.append((b.start_us, min(b.start_us + window.step_us, seg.end_us), b.open, b.high, b.low, b.close,
                         b.volume, b.ticks, _KINDS.index(seg.kind), b.regular))
    cols: list[tuple[object, ...]] = list(zip(*rows, strict=True)) if rows else [() for _ in range(10)]
    return BarArrays(symbol, tf.label, np.array(cols[0], dtype=np.int64), np.array(cols[1], dtype=np.int64),
                     np.array(cols[2], dtype=float), np.array(cols[3], dtype=float), np.array(cols[4], dtype=float),
                     np.array(cols[5], dtype=float), np.array(cols[6], dtype=float),
                     np.array(cols[7], dtype=np.int64), np.array(cols[8], dtype=np.int8),
                     np.array(cols[9], dtype=bool))
