"""Vectorised (NumPy) bar aggregation that equals the streaming aggregator bar for bar.

Same rules as :class:`theo.data.bars.aggregator.BarAggregator`: session-segment alignment, OHLC from prints
whose condition counts (else from all prints, flagged ``no_regular_prints``), volume from every kept
print, open/close by time then input order. Only buckets with ticks are produced (the streaming path adds
``no_ticks`` bars on the clock). Used for replay speed, research and the SQL equality checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from theo.core.calendar import MarketCalendar
from theo.data.bars.timeframes import MINUTE_US, Timeframe, parse_timeframe, segments_between
from theo.data.conditions import NO_REGULAR_PRINTS, NO_TICKS, ConditionFilter
from theo.model.columns import OHLCVColumns
from theo.model.enums import SessionKind
from theo.model.market import Bar
from theo.persistence.types import from_micros, to_micros

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
_KINDS = (SessionKind.PRE, SessionKind.REGULAR, SessionKind.POST)


class TickArrays(Protocol):
    """What the batch path needs from ``theo.data.files.TickColumns``."""

    ts_us: Any
    price: Any
    size: Any
    condition: Any


@dataclass(frozen=True)
class BarArrays(OHLCVColumns):
    """Column-wise bars of one symbol and timeframe; ``session`` holds indexes into PRE/REGULAR/POST."""

    tick_count: I64
    session: npt.NDArray[np.int8]
    regular: npt.NDArray[np.bool_]

    def to_bars(self, source: str = "") -> list[Bar]:
        """Bar records (``no_regular_prints`` flagged where OHLC came from other prints)."""
        out: list[Bar] = []
        nrp = frozenset({NO_REGULAR_PRINTS})
        none: frozenset[str] = frozenset()
        for i in range(len(self)):
            out.append(Bar(self.symbol, self.timeframe, from_micros(int(self.start_us[i])),
                           from_micros(int(self.end_us[i])), float(self.open[i]), float(self.high[i]),
                           float(self.low[i]), float(self.close[i]), float(self.volume[i]),
                           int(self.tick_count[i]), _KINDS[int(self.session[i])], source,
                           none if self.regular[i] else nrp))
        return out


def _segment_table(calendar: MarketCalendar, lo_us: int, hi_us: int) -> tuple[I64, I64, npt.NDArray[np.int8]]:
    segs = segments_between(calendar, from_micros(lo_us), from_micros(hi_us + 1))
    starts = np.array([s.start_us for s in segs], dtype=np.int64)
    ends = np.array([s.end_us for s in segs], dtype=np.int64)
    kinds = np.array([_KINDS.index(s.kind) for s in segs], dtype=np.int8)
    return starts, ends, kinds


def bucket_ticks(ts_us: I64, calendar: MarketCalendar, timeframe: Timeframe
                 ) -> tuple[I64, I64, npt.NDArray[np.int8], npt.NDArray[np.bool_]]:
    """Bucket start, end, session kind per tick and a mask of ticks inside a session."""
    n = len(ts_us)
    if n == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, np.zeros(0, dtype=np.int8), np.zeros(0, dtype=bool)
    seg_s, seg_e, seg_k = _segment_table(calendar, int(ts_us.min()), int(ts_us.max()))
    if len(seg_s) == 0:
        z = np.zeros(n, dtype=np.int64)
        return z, z, np.zeros(n, dtype=np.int8), np.zeros(n, dtype=bool)
    idx = np.searchsorted(seg_s, ts_us, side="right") - 1
    safe = np.clip(idx, 0, len(seg_s) - 1)
    inside = (idx >= 0) & (ts_us < seg_e[safe])
    origin = seg_s[safe]
    kind = seg_k[safe]
    if timeframe.daily:
        inside &= kind == _KINDS.index(SessionKind.REGULAR)
        return origin, seg_e[safe], kind, inside
    step = timeframe.minutes * MINUTE_US if timeframe.minutes else MINUTE_US
    start = origin + (ts_us - origin) // step * step
    return start, np.minimum(start + step, seg_e[safe]), kind, inside


def aggregate_arrays(symbol: str, ts_us: I64, price: F64, size: F64, counts: npt.NDArray[np.bool_],
                     timeframe: str | Timeframe, calendar: MarketCalendar) -> BarArrays:
    """Aggregate kept ticks (in arrival order) into bars; ticks outside sessions are ignored here
    (the gate rejects them first)."""
    tf = parse_timeframe(timeframe) if isinstance(timeframe, str) else timeframe
    ts_us = np.asarray(ts_us, dtype=np.int64)
    order = np.argsort(ts_us, kind="stable")
    if not np.all(order == np.arange(len(order))):
        ts_us, price, size, counts = ts_us[order], price[order], size[order], counts[order]
    start, end, kind, inside = bucket_ticks(ts_us, calendar, tf)
    if not inside.all():
        ts_us, price, size, counts = ts_us[inside], price[inside], size[inside], counts[inside]
        start, end, kind = start[inside], end[inside], kind[inside]
    price = np.asarray(price, dtype=np.float64)
    size = np.asarray(size, dtype=np.float64)
    counts = np.asarray(counts, dtype=bool)
    n = len(ts_us)
    if n == 0:
        e = np.zeros(0)
        ei = np.zeros(0, dtype=np.int64)
        return BarArrays(symbol, tf.label, ei, ei, e, e, e, e, e, ei, np.zeros(0, dtype=np.int8),
                         np.zeros(0, dtype=bool))
    first = np.flatnonzero(np.r_[True, start[1:] != start[:-1]])
    group = np.cumsum(np.r_[False, start[1:] != start[:-1]])
    tick_count = np.diff(np.r_[first, n]).astype(np.int64)
    volume = np.add.reduceat(size, first)
    regular = np.logical_or.reduceat(counts, first)
    use = counts | ~regular[group]
    sel = np.flatnonzero(use)
    g_sel = group[sel]
    p_sel = price[sel]
    s_first = np.searchsorted(g_sel, np.arange(len(first)), side="left")
    s_last = np.r_[s_first[1:], len(sel)] - 1
    return BarArrays(symbol, tf.label, start[first], end[first], p_sel[s_first],
                     np.maximum.reduceat(p_sel, s_first), np.minimum.reduceat(p_sel, s_first), p_sel[s_last],
                     volume, tick_count, kind[first], regular)


def aggregate_ticks(symbol: str, cols: TickArrays, timeframe: str | Timeframe, calendar: MarketCalendar,
                    conditions: ConditionFilter | None = None,
                    keep: npt.NDArray[np.bool_] | None = None) -> BarArrays:
    """Aggregate tick columns; ``keep`` (e.g. the gate's keep mask) selects the ticks to use."""
    conditions = conditions or ConditionFilter()
    ts = np.asarray(cols.ts_us, dtype=np.int64)
    price = np.asarray(cols.price, dtype=np.float64)
    size = np.asarray(cols.size, dtype=np.float64)
    counts = conditions.ohlc_mask(np.asarray(cols.condition))
    if keep is not None:
        ts, price, size, counts = ts[keep], price[keep], size[keep], counts[keep]
    return aggregate_arrays(symbol, ts, price, size, counts, timeframe, calendar)


def resample_bars(bars: Any, timeframe: str | Timeframe, calendar: MarketCalendar) -> BarArrays:
    """Roll 1-minute bars (``list[Bar]``, ``BarArrays`` or ``BarColumns``) up to a longer timeframe.

    Bars with no ticks are skipped for OHLC (``no_ticks``); bars flagged ``no_regular_prints`` set OHLC only
    when no bar of the bucket has regular prints, exactly as aggregating the ticks directly would.
    """
    tf = parse_timeframe(timeframe) if isinstance(timeframe, str) else timeframe
    if isinstance(bars, list):
        live = [b for b in bars if NO_TICKS not in b.flags]
        symbol = live[0].symbol if live else ""
        start = np.array([to_micros(b.start) for b in live], dtype=np.int64)
        o = np.array([b.open for b in live], dtype=float)
        h = np.array([b.high for b in live], dtype=float)
        lo = np.array([b.low for b in live], dtype=float)
        c = np.array([b.close for b in live], dtype=float)
        v = np.array([b.volume for b in live], dtype=float)
        cnt = np.array([b.tick_count for b in live], dtype=np.int64)
        reg = np.array([NO_REGULAR_PRINTS not in b.flags for b in live], dtype=bool)
    else:
        symbol = str(bars.symbol if isinstance(bars.symbol, str) else (bars.symbol[0] if len(bars.symbol) else ""))
        start = np.asarray(bars.start_us, dtype=np.int64)
        o, h, lo, c = (np.asarray(getattr(bars, k), dtype=float) for k in ("open", "high", "low", "close"))
        v = np.asarray(bars.volume, dtype=float)
        cnt = np.asarray(getattr(bars, "tick_count", np.ones(len(start))), dtype=np.int64)
        reg = np.asarray(getattr(bars, "regular", np.ones(len(start), dtype=bool)), dtype=bool)
    b_start, b_end, kind, inside = bucket_ticks(start, calendar, tf)
    keep = inside
    start, cnt, reg = start[keep], cnt[keep], reg[keep]
    o, h, lo, c, v = o[keep], h[keep], lo[keep], c[keep], v[keep]
    b_start, b_end, kind = b_start[keep], b_end[keep], kind[keep]
    if len(start) == 0:
        e = np.zeros(0)
        ei = np.zeros(0, dtype=np.int64)
        return BarArrays(symbol, tf.label, ei, ei, e, e, e, e, e, ei, np.zeros(0, dtype=np.int8),
                         np.zeros(0, dtype=bool))
    brk = np.r_[True, b_start[1:] != b_start[:-1]]
    first = np.flatnonzero(brk)
    group = np.cumsum(brk) - 1
    regular = np.logical_or.reduceat(reg, first)
    use = reg | ~regular[group]
    sel = np.flatnonzero(use)
    s_first = np.searchsorted(group[sel], np.arange(len(first)), side="left")
    s_last = np.r_[s_first[1:], len(sel)] - 1
    return BarArrays(symbol, tf.label, b_start[first], b_end[first], o[sel][s_first],
                     np.maximum.reduceat(h[sel], s_first), np.minimum.reduceat(lo[sel], s_first), c[sel][s_last],
                     np.add.reduceat(v, first).astype(np.float64), np.add.reduceat(cnt, first).astype(np.int64),
                     kind[first], regular)

