"""Mutable OHLCV accumulators behind the streaming aggregator (kept apart so the hot path stays small)."""

from __future__ import annotations

from theo.data.bars.timeframes import Segment

_INF = float("inf")


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
    """One open higher-timeframe bucket fed by closed 1-minute bars in time order."""

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
