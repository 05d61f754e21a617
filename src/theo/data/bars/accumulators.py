"""Mutable OHLCV accumulators and target buckets behind the streaming aggregators (small hot path)."""

from __future__ import annotations

from datetime import datetime

from theo.core.errors import DataError
from theo.core.time import from_us
from theo.data.bars.timeframes import Segment
from theo.model.enums import SessionKind

_INF = float("inf")
_TIMES: dict[int, datetime] = {}


def bar_time(us: int) -> datetime:
    """UTC datetime of epoch microseconds; a bar's end is the next bar's start, so recent ones are cached."""
    dt = _TIMES.get(us)
    if dt is None:
        if len(_TIMES) > 4096:
            _TIMES.clear()
        dt = _TIMES[us] = from_us(us)
    return dt


class PriceSet:
    """Open, high, low and close of a set of prints fed in any arrival order.

    Open is the earliest print (first arrived on a tie), close the latest (last arrived on a tie), as
    ``ORDER BY ts, seq`` does in SQL.
    """

    __slots__ = ("close", "close_ts", "high", "low", "n", "open", "open_ts")

    def __init__(self) -> None:
        self.n = 0
        self.open = self.close = 0.0
        self.high = -_INF
        self.low = _INF
        self.open_ts = 1 << 62
        self.close_ts = -(1 << 62)

    def add(self, ts_us: int, price: float) -> None:
        self.n += 1
        if ts_us < self.open_ts:
            self.open_ts, self.open = ts_us, price
        if ts_us >= self.close_ts:
            self.close_ts, self.close = ts_us, price
        if price > self.high:
            self.high = price
        if price < self.low:
            self.low = price


class Bucket:
    """What every open bucket holds: its bounds, session segment, print count, volume and last source."""

    __slots__ = ("count", "end_us", "segment", "source", "start_us", "volume")

    def __init__(self, start_us: int, end_us: int, segment: Segment) -> None:
        self.start_us = start_us
        self.end_us = end_us
        self.segment = segment
        self.count = 0
        self.volume = 0.0
        self.source = ""


class TickAccumulator(Bucket):
    """One open 1-minute bucket fed by ticks in any arrival order.

    Two price sets are kept: prints that count for OHLC (``e``) and the others (``a``); the second is used
    only when a bucket has no counting print (``no_regular_prints``).
    """

    __slots__ = ("a", "e")

    def __init__(self, start_us: int, end_us: int, segment: Segment) -> None:
        super().__init__(start_us, end_us, segment)
        self.e = PriceSet()
        self.a = PriceSet()

    def add(self, ts_us: int, price: float, size: float, counts: bool, source: str) -> None:
        self.count += 1
        self.volume += size
        self.source = source
        (self.e if counts else self.a).add(ts_us, price)

    def ohlc(self) -> tuple[float, float, float, float, bool]:
        """Open, high, low, close and whether they come from counting prints."""
        p = self.e if self.e.n else self.a
        return p.open, p.high, p.low, p.close, p is self.e


class BarAccumulator(Bucket):
    """One open higher-timeframe bucket fed by bars (or ticks as one-price bars) in time order."""

    __slots__ = ("a", "e", "last_close")

    def __init__(self, start_us: int, end_us: int, segment: Segment) -> None:
        super().__init__(start_us, end_us, segment)
        self.last_close: float | None = None
        # [open, high, low, close] or None, for bars with counting prints (e) and without (a)
        self.e: list[float] | None = None
        self.a: list[float] | None = None

    def add(self, o: float, h: float, low: float, c: float, volume: float, count: int, regular: bool,
            source: str) -> None:
        self.last_close = c
        if count == 0:
            return
        self.count += count
        self.volume += volume
        self.source = source
        cur = self.e if regular else self.a
        if cur is None:
            cur = [o, h, low, c]
            if regular:
                self.e = cur
            else:
                self.a = cur
            return
        if h > cur[1]:
            cur[1] = h
        if low < cur[2]:
            cur[2] = low
        cur[3] = c


#: Step codes of :class:`TargetSet` besides a bucket length in µs.
DAILY_STEP = 0  # one bucket per regular segment; other segments are not used
PASS_STEP = -1  # every item is its own bar (the target is the source timeframe)
_NEVER = 1 << 62


class TargetSet:
    """The open buckets of one symbol for several target timeframes: the one bucketing path of the package.

    Both the live collector (items: its closed 1-minute bars) and the engine's roll-up (items: source bars
    or ticks) put every item through :meth:`add`. A bucket that a later item replaces goes to ``done``;
    :meth:`close_due` closes the buckets whose end time has reached. ``min_end`` is the earliest end of an
    open bucket, so a caller knows without a scan when nothing can be due.
    """

    __slots__ = ("keys", "labels", "min_end", "open", "steps")

    def __init__(self, steps: list[int], keys: list[int], labels: list[str]) -> None:
        self.steps = steps  # bucket length in µs, DAILY_STEP or PASS_STEP, per target
        self.keys = keys  # what ``done`` reports for each target
        self.labels = labels
        self.open: list[BarAccumulator | None] = [None] * len(steps)
        self.min_end = _NEVER

    def add(self, start: int, end: int, seg: Segment, o: float, h: float, low: float, c: float, volume: float,
            count: int, regular: bool, source: str, done: list[tuple[int, BarAccumulator]]) -> None:
        """Add the item ``[start, end)`` of segment ``seg`` to each target's bucket.

        Raise :class:`DataError` when the item does not fit inside a bucket (a bar across a boundary).
        """
        seg_start = seg.start_us
        seg_end = seg.end_us
        for i, step in enumerate(self.steps):
            acc = self.open[i]
            if acc is not None and acc.start_us <= start < acc.end_us:  # most items: the open bucket
                if end > acc.end_us:
                    raise DataError(straddle_message(start, end, f"{self.labels[i]} bar", acc.start_us,
                                                     acc.end_us))
                acc.add(o, h, low, c, volume, count, regular, source)
                continue
            if step > 0:
                b_start = seg_start + (start - seg_start) // step * step
                b_end = b_start + step
                if b_end > seg_end:
                    b_end = seg_end
            elif step == DAILY_STEP:
                if seg.kind is not SessionKind.REGULAR:
                    if end > seg_end:
                        raise DataError(straddle_message(start, end, f"{seg.kind.value} segment", seg_start,
                                                         seg_end))
                    continue
                b_start, b_end = seg_start, seg_end
            else:
                item = BarAccumulator(start, end, seg)
                item.add(o, h, low, c, volume, count, regular, source)
                done.append((self.keys[i], item))
                continue
            if end > b_end:
                raise DataError(straddle_message(start, end, f"{self.labels[i]} bar", b_start, b_end))
            if acc is not None:
                done.append((self.keys[i], acc))
            acc = self.open[i] = BarAccumulator(b_start, b_end, seg)
            if b_end < self.min_end:
                self.min_end = b_end
            acc.add(o, h, low, c, volume, count, regular, source)

    def close_due(self, now_us: int, done: list[tuple[int, BarAccumulator]]) -> None:
        """Move every open bucket whose end is at or before ``now_us`` to ``done``, in target order."""
        nxt = _NEVER
        for i, acc in enumerate(self.open):
            if acc is None:
                continue
            if acc.end_us <= now_us:
                done.append((self.keys[i], acc))
                self.open[i] = None
            elif acc.end_us < nxt:
                nxt = acc.end_us
        self.min_end = nxt


def straddle_message(start: int, end: int, bucket: str, b_start: int, b_end: int) -> str:
    """Why the source bar ``[start, end)`` cannot go into ``bucket`` (``[b_start, b_end)``)."""
    return (f"the source bar {_iso(start)} to {_iso(end)} does not fit in the {bucket} {_iso(b_start)} to "
            f"{_iso(b_end)}: a bar must not straddle a bar or session boundary; use source bars aligned to the "
            f"sessions (see check_rollup)")


def _iso(us: int) -> str:
    return bar_time(us).isoformat()
