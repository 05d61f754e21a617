"""Donchian channels: highest high, lowest low and their midpoint over the last N bars."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from theo.indicators import batch as vec
from theo.indicators.base import BarArrays, FloatArray, RecordIndicator
from theo.model.market import Bar


@dataclass(frozen=True, slots=True)
class DonchianValue:
    upper: float
    middle: float
    lower: float


class Donchian(RecordIndicator[DonchianValue]):
    """Donchian channel over the last ``period`` bars, the current bar INCLUDED.

    A breakout rule that compares a close with the channel of the N bars before it must read ``value``
    before calling ``update`` with that bar. Monotonic queues keep each update O(1) amortised.
    """

    outputs = ("upper", "middle", "lower")

    def __init__(self, period: int = 20) -> None:
        super().__init__()
        vec.check_period("Donchian period", period)
        self.period = period
        self.name = f"donchian_{period}"
        self._reset()

    def _reset(self) -> None:
        self._i = -1
        self._highs: deque[tuple[int, float]] = deque()
        self._lows: deque[tuple[int, float]] = deque()
        self._value: DonchianValue | None = None

    def _update(self, bar: Bar) -> None:
        self._i += 1
        i, oldest = self._i, self._i - self.period + 1
        highs, lows = self._highs, self._lows
        while highs and highs[-1][1] <= bar.high:
            highs.pop()
        highs.append((i, bar.high))
        while lows and lows[-1][1] >= bar.low:
            lows.pop()
        lows.append((i, bar.low))
        while highs[0][0] < oldest:
            highs.popleft()
        while lows[0][0] < oldest:
            lows.popleft()
        if oldest >= 0:
            up, lo = highs[0][1], lows[0][1]
            self._value = DonchianValue(up, (up + lo) / 2.0, lo)

    def _rescale(self, factor: float) -> None:
        self._highs = deque((i, v * factor) for i, v in self._highs)
        self._lows = deque((i, v * factor) for i, v in self._lows)
        if self._value is not None:
            up, lo = self._highs[0][1], self._lows[0][1]
            self._value = DonchianValue(up, (up + lo) / 2.0, lo)

    def batch(self, bars: BarArrays) -> dict[str, FloatArray]:
        d = vec.donchian(bars.high, bars.low, self.period)
        return {"upper": d.upper, "middle": d.middle, "lower": d.lower}
