"""Average True Range (Wilder smoothing, seeded exactly as TA-Lib's ``ATR``)."""

from __future__ import annotations

from theo.indicators import batch as vec
from theo.indicators.base import BarArrays, FloatArray, Indicator
from theo.model.market import Bar


class ATR(Indicator[float]):
    """ATR over ``period`` bars.

    The first bar only supplies a previous close. The value appears on bar ``period`` (the ``period+1``-th
    bar) as the mean of the true ranges of bars 1..period, then follows ``(prev*(period-1) + TR)/period``.
    """

    outputs = ("value",)

    def __init__(self, period: int = 14) -> None:
        super().__init__()
        vec.check_period("ATR period", period)
        self.period = period
        self.name = f"atr_{period}"
        self._reset()

    def _reset(self) -> None:
        self._prev_close: float | None = None
        self._sum = 0.0
        self._count = 0
        self._atr: float | None = None

    def _update(self, bar: Bar) -> None:
        prev = self._prev_close
        self._prev_close = bar.close
        if prev is None:
            return
        tr = max(bar.high - bar.low, abs(prev - bar.high), abs(prev - bar.low))
        if self._atr is None:
            self._sum += tr
            self._count += 1
            if self._count == self.period:
                self._atr = self._sum / self.period
        else:
            self._atr = (self._atr * (self.period - 1) + tr) / self.period

    def _rescale(self, factor: float) -> None:
        if self._prev_close is not None:
            self._prev_close *= factor
        self._sum *= factor
        if self._atr is not None:
            self._atr *= factor

    @property
    def value(self) -> float | None:
        return self._atr

    @property
    def ready(self) -> bool:
        return self._atr is not None

    def values(self) -> dict[str, float | None]:
        return {"value": self._atr}

    def batch(self, bars: BarArrays) -> dict[str, FloatArray]:
        return {"value": vec.atr(bars.high, bars.low, bars.close, self.period)}
