"""Mutable OHLCV accumulators behind the streaming aggregator (kept apart so the hot path stays small)."""

from __future__ import annotations

from theo.bars.timeframes import Segment

_INF = float("inf")


class TickAccumulator:
    """One open 1-minute bucket fed by ticks in any arrival order.

    Two price sets are kept: prints that count for OHLC and the others; the second is used only when a
    bucket has no counting print (``no_regular_prints``). Open is the earliest print (first arrived on a
    tie), close the latest (last arrived on a tie), as ``ORDER BY ts, seq`` does in SQL.
    """

    __slots__ = ("a_close", "a_close_ts", "a_high", "a_low", "a_n", "a_open", "a_open_ts", "count", "e_close",
                 "e_close_ts", "e_high", "e_low", "e_n", "e_open", "e_open_ts", "end_us", "segment", "source",
                 "start_us", "volume")

    def __init__(self, start_us: int, end_us: int, segment: Segment) -> None:
        self.start_us = start_us
        self.end_us = end_us
        self.segment = segment
        self.count = 0
        self.volume = 0.0
        self.source = ""
        self.e_n = self.a_n = 0
        self.e_open = self.e_close = self.a_open = self.a_close = 0.0
        self.e_high = self.a_high = -_INF
        self.e_low = self.a_low = _INF
        self.e_open_ts = self.a_open_ts = 1 << 62
        self.e_close_ts = self.a_close_ts = -(1 << 62)

    def add(self, ts_us: int, price: float, size: float, counts: bool, source: str) -> None:
        self.count += 1
        self.volume += size
        self.source = source
        if counts:
            self.e_n += 1
            if ts_us < self.e_open_ts:
                self.e_open_ts, self.e_open = ts_us, price
            if ts_us >= self.e_close_ts:
                self.e_close_ts, self.e_close = ts_us, price
            if price > self.e_high:
                self.e_high = price
            if price < self.e_low:
                self.e_low = price
        else:
            self.a_n += 1
            if ts_us < self.a_open_ts:
                self.a_open_ts, self.a_open = ts_us, price
            if ts_us >= self.a_close_ts:
                self.a_close_ts, self.a_close = ts_us, price
            if price > self.a_high:
                self.a_high = price
            if price < self.a_low:
                self.a_low = price

    def ohlc(self) -> tuple[float, float, float, float, bool]:
        """Open, high, low, close and whether they come from counting prints."""
        if self.e_n:
            return self.e_open, self.e_high, self.e_low, self.e_close, True
        return self.a_open, self.a_high, self.a_low, self.a_close, False


class BarAccumulator:
    """One open higher-timeframe bucket fed by closed 1-minute bars in time order."""

    __slots__ = ("a", "count", "e", "end_us", "last_close", "segment", "source", "start_us", "volume")

    def __init__(self, start_us: int, end_us: int, segment: Segment) -> None:
        self.start_us = start_us
        self.end_us = end_us
        self.segment = segment
        self.count = 0
        self.volume = 0.0
        self.source = ""
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
