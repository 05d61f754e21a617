"""Vectorised (NumPy) bar aggregation that equals the streaming aggregators bar for bar.

Same rules as :class:`theo.data.bars.aggregator.BarAggregator` and :class:`theo.data.bars.rollup.BarRollup`:
session-segment alignment, OHLC from prints whose condition counts (else from all prints, flagged
``no_regular_prints``), volume from every kept print added in time order, open/close by time then input
order. Only buckets with items are produced (the live collector adds ``no_ticks`` bars on the clock). Used
for backtests, replay speed, research and the SQL equality checks.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, time, timedelta
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from theo.core.calendar import ET, MarketCalendar
from theo.core.errors import DataError
from theo.core.time import from_us, to_us
from theo.data.bars.accumulators import straddle_message
from theo.data.bars.timeframes import Timeframe, check_rollup, parse_timeframe, segments_between
from theo.data.conditions import NO_REGULAR_PRINTS, NO_TICKS, ConditionFilter
from theo.model.columns import OHLCVColumns
from theo.model.enums import SessionKind
from theo.model.market import Bar

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
_KINDS = (SessionKind.PRE, SessionKind.REGULAR, SessionKind.POST)
_REGULAR = _KINDS.index(SessionKind.REGULAR)
_EXACT = float(2**53)  # below it, sums of whole numbers are exact in any order
_ROUNDS = 32  # groups up to this long are summed column-wise, longer ones one by one


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
    regular: Mask

    def to_bars(self, source: str = "") -> list[Bar]:
        """Bar records (``no_regular_prints`` flagged where OHLC came from other prints)."""
        out: list[Bar] = []
        nrp = frozenset({NO_REGULAR_PRINTS})
        none: frozenset[str] = frozenset()
        for i in range(len(self)):
            out.append(Bar(self.symbol, self.timeframe, from_us(int(self.start_us[i])),
                           from_us(int(self.end_us[i])), float(self.open[i]), float(self.high[i]),
                           float(self.low[i]), float(self.close[i]), float(self.volume[i]),
                           int(self.tick_count[i]), _KINDS[int(self.session[i])], source,
                           none if self.regular[i] else nrp))
        return out


@dataclass(frozen=True)
class RolledBars(BarArrays):
    """Bars from :func:`rollup`, with ``outside``: the input items (in input order) outside every session."""

    outside: Mask

    @property
    def outside_count(self) -> int:
        return int(np.count_nonzero(self.outside))


def _empty(symbol: str, label: str) -> BarArrays:
    e = np.zeros(0)
    ei = np.zeros(0, dtype=np.int64)
    return BarArrays(symbol, label, ei, ei, e, e, e, e, e, ei, np.zeros(0, dtype=np.int8), np.zeros(0, dtype=bool))


def _timeframe(tf: str | Timeframe) -> Timeframe:
    return parse_timeframe(tf) if isinstance(tf, str) else tf


def _segment_table(calendar: MarketCalendar, lo_us: int, hi_us: int) -> tuple[I64, I64, npt.NDArray[np.int8]]:
    segs = segments_between(calendar, from_us(lo_us), from_us(hi_us + 1))
    starts = np.array([s.start_us for s in segs], dtype=np.int64)
    ends = np.array([s.end_us for s in segs], dtype=np.int64)
    kinds = np.array([_KINDS.index(s.kind) for s in segs], dtype=np.int8)
    return starts, ends, kinds


def bucket_items(ts_us: I64, calendar: MarketCalendar, timeframe: Timeframe
                 ) -> tuple[I64, I64, npt.NDArray[np.int8], Mask, Mask]:
    """Per item: bucket start, end and session kind, whether it lies in a session, whether the bucket uses it.

    An item in the pre- or post-market is in a session but not used by ``1d`` (the regular session).
    """
    n = len(ts_us)
    z = np.zeros(n, dtype=np.int64)
    no = np.zeros(n, dtype=bool)
    if n == 0:
        return z, z, np.zeros(0, dtype=np.int8), no, no
    seg_s, seg_e, seg_k = _segment_table(calendar, int(ts_us.min()), int(ts_us.max()))
    if len(seg_s) == 0:
        return z, z, np.zeros(n, dtype=np.int8), no, no
    idx = np.searchsorted(seg_s, ts_us, side="right") - 1
    safe = np.clip(idx, 0, len(seg_s) - 1)
    inside = (idx >= 0) & (ts_us < seg_e[safe])
    origin = seg_s[safe]
    kind = seg_k[safe]
    if timeframe.step_us is None:
        return origin, seg_e[safe], kind, inside, inside & (kind == _REGULAR)
    step = timeframe.step_us
    start = origin + (ts_us - origin) // step * step
    return start, np.minimum(start + step, seg_e[safe]), kind, inside, inside


def group_sums(values: F64, first: I64) -> F64:
    """Sum each group ``values[first[i]:first[i + 1]]`` from left to right, starting at 0.0.

    That is how the streaming accumulators add volume. NumPy's reductions add pairwise, which rounds
    differently, so they are used only when every partial sum is exact (whole numbers below 2**53).
    """
    n = len(values)
    if len(first) == 0:
        return np.zeros(0)
    if np.all(values == np.floor(values)) and float(np.abs(values).sum()) < _EXACT:
        return np.add.reduceat(values, first) + 0.0  # + 0.0: a sum from 0.0 is never -0.0
    w = values + 0.0  # so that 0.0 + w[0] == w[0] and accumulate may start at w[0]
    lengths = np.diff(np.r_[first, n])
    out = np.zeros(len(first))
    order = np.argsort(-lengths, kind="stable")  # longest first: the groups still running are a prefix
    desc = lengths[order]
    n_long = int(np.count_nonzero(desc > _ROUNDS))
    for g in order[:n_long].tolist():
        out[g] = np.add.accumulate(w[first[g]:first[g] + lengths[g]])[-1]
    for k in range(int(desc[n_long]) if n_long < len(desc) else 0):
        running = order[n_long:int(np.count_nonzero(desc > k))]
        out[running] += w[first[running] + k]
    return out


def _reduce(symbol: str, label: str, b_start: I64, b_end: I64, kind: npt.NDArray[np.int8], o: F64, h: F64,
            lo: F64, c: F64, v: F64, cnt: I64, reg: Mask) -> BarArrays:
    """Items (in time order, bucketed) to bars: the one reduction behind every batch function here."""
    n = len(b_start)
    if n == 0:
        return _empty(symbol, label)
    brk = np.r_[True, b_start[1:] != b_start[:-1]]
    first = np.flatnonzero(brk)
    if reg.all():
        regular = np.ones(len(first), dtype=bool)
        sel, s_first = None, first
    else:
        group = np.cumsum(brk) - 1
        regular = np.logical_or.reduceat(reg, first)
        sel = np.flatnonzero(reg | ~regular[group])
        s_first = np.searchsorted(group[sel], np.arange(len(first)), side="left")
        o, h, lo, c = o[sel], h[sel], lo[sel], c[sel]
    s_last = np.r_[s_first[1:], len(o)] - 1
    return BarArrays(symbol, label, b_start[first], b_end[first], o[s_first], np.maximum.reduceat(h, s_first),
                     np.minimum.reduceat(lo, s_first), c[s_last], group_sums(v, first),
                     np.add.reduceat(cnt, first).astype(np.int64), kind[first], regular)


def aggregate_arrays(symbol: str, ts_us: I64, price: F64, size: F64, counts: Mask,
                     timeframe: str | Timeframe, calendar: MarketCalendar) -> BarArrays:
    """Aggregate kept ticks (in arrival order) into bars; ticks outside sessions are ignored here
    (the gate rejects them first)."""
    tf = _timeframe(timeframe)
    ts_us = np.asarray(ts_us, dtype=np.int64)
    price = np.asarray(price, dtype=np.float64)
    size = np.asarray(size, dtype=np.float64)
    counts = np.asarray(counts, dtype=bool)
    order = np.argsort(ts_us, kind="stable")
    if not np.all(order == np.arange(len(order))):
        ts_us, price, size, counts = ts_us[order], price[order], size[order], counts[order]
    start, end, kind, _in_session, used = bucket_items(ts_us, calendar, tf)
    if not used.all():
        price, size, counts = price[used], size[used], counts[used]
        start, end, kind = start[used], end[used], kind[used]
    return _reduce(symbol, tf.label, start, end, kind, price, price, price, price, size,
                   np.ones(len(start), dtype=np.int64), counts)


def aggregate_ticks(symbol: str, cols: TickArrays, timeframe: str | Timeframe, calendar: MarketCalendar,
                    conditions: ConditionFilter | None = None,
                    keep: Mask | None = None) -> BarArrays:
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
    tf = _timeframe(timeframe)
    if isinstance(bars, list):
        live = [b for b in bars if NO_TICKS not in b.flags]
        symbol = live[0].symbol if live else ""
        start = np.array([to_us(b.start) for b in live], dtype=np.int64)
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
    b_start, b_end, kind, _in_session, used = bucket_items(start, calendar, tf)
    return _reduce(symbol, tf.label, b_start[used], b_end[used], kind[used], o[used], h[used], lo[used], c[used],
                   v[used], cnt[used], reg[used])


def rollup(symbol: str, start_us: I64, end_us: I64 | None, o: F64, h: F64, lo: F64, c: F64, v: F64,
           timeframe: str | Timeframe, calendar: MarketCalendar, *, source: str | Timeframe | None = None
           ) -> RolledBars:
    """Roll source bars (or ticks: ``end_us`` None, ``o = h = lo = c`` = price) up to ``timeframe`` bars.

    The batch twin of :class:`theo.data.bars.rollup.BarRollup`: the same bars, bit for bit, as it emits for
    the same items in the same order. ``source`` (the items' timeframe, as ``BarRollup``'s ``sources``) is
    checked with :func:`check_rollup`; a target equal to it passes the bars through unchanged.
    """
    tf = _timeframe(timeframe)
    src = None if source is None else _timeframe(source)
    start = np.asarray(start_us, dtype=np.int64)
    end = start if end_us is None else np.asarray(end_us, dtype=np.int64)
    o, h, lo, c, v = (np.asarray(x, dtype=np.float64) for x in (o, h, lo, c, v))
    order = None
    if len(start) > 1 and bool(np.any(start[1:] < start[:-1])):
        order = np.argsort(start, kind="stable")
        start, end = start[order], end[order]
        o, h, lo, c, v = o[order], h[order], lo[order], c[order], v[order]
    if src is not None:
        check_rollup(src, tf, symbol, calendar)
    if src is not None and src.step_us == tf.step_us:
        if tf.daily:
            in_session = _on_session_days(start, calendar)
            kind = np.full(len(start), _REGULAR, dtype=np.int8)
        else:
            _b, _e, kind, in_session, _used = bucket_items(start, calendar, tf)
        k = in_session
        bars = BarArrays(symbol, tf.label, start[k], end[k], o[k], h[k], lo[k], c[k], v[k] + 0.0,
                         np.ones(int(k.sum()), dtype=np.int64), kind[k], np.ones(int(k.sum()), dtype=bool))
    else:
        b_start, b_end, kind, in_session, used = bucket_items(start, calendar, tf)
        bad = np.flatnonzero(in_session & (end > b_end))  # for 1d, b_end is the pre/post segment's end too
        if len(bad):
            i = int(bad[0])
            bucket = f"{tf.label} bar" if used[i] else f"{_KINDS[int(kind[i])].value} segment"
            raise DataError(f"{symbol}: " + straddle_message(int(start[i]), int(end[i]), bucket, int(b_start[i]),
                                                           int(b_end[i])))
        u = used
        bars = _reduce(symbol, tf.label, b_start[u], b_end[u], kind[u], o[u], h[u], lo[u], c[u], v[u],
                       np.ones(int(u.sum()), dtype=np.int64), np.ones(int(u.sum()), dtype=bool))
    outside = ~in_session
    if order is not None:
        outside = np.empty_like(outside)
        outside[order] = ~in_session
    return RolledBars(**{f.name: getattr(bars, f.name) for f in fields(bars)}, outside=outside)


def item_sessions(start_us: I64, calendar: MarketCalendar, timeframe: str) -> tuple[Mask, Mask]:
    """Per item of a series of ``timeframe`` (``tick`` for prints): inside a session, and in the regular one.

    Daily bars are labelled by their New York date: a bar on a session day is inside and regular.
    """
    start = np.asarray(start_us, dtype=np.int64)
    if timeframe != "tick" and parse_timeframe(timeframe).daily:
        inside = _on_session_days(start, calendar)
        return inside, inside
    _b, _e, kind, inside, _used = bucket_items(start, calendar, parse_timeframe("1m"))
    return inside, inside & (kind == _REGULAR)


def _on_session_days(start_us: I64, calendar: MarketCalendar) -> Mask:
    """Whether each time falls on a session's New York calendar date (where daily bars are labelled)."""
    if len(start_us) == 0:
        return np.zeros(0, dtype=bool)
    lo = from_us(int(start_us.min())).astimezone(ET).date()
    hi = from_us(int(start_us.max())).astimezone(ET).date()
    days = [s.day for s in calendar.sessions_in_range(lo, hi)]
    if not days:
        return np.zeros(len(start_us), dtype=bool)
    a = np.array([to_us(datetime.combine(d, time(), tzinfo=ET)) for d in days], dtype=np.int64)
    b = np.array([to_us(datetime.combine(d + timedelta(days=1), time(), tzinfo=ET)) for d in days],
                 dtype=np.int64)
    idx = np.searchsorted(a, start_us, side="right") - 1
    return (idx >= 0) & (start_us < b[np.maximum(idx, 0)])
