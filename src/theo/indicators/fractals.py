"""Williams fractals, stamped on the bar that confirms them (no look-ahead).

Bar ``i`` is a fractal HIGH when its high is strictly above the highs of the ``left`` bars before it and
not below the highs of the ``right`` bars after it; a fractal LOW mirrors this with lows. The asymmetric
tie rule makes a flat top of equal highs one fractal (its first bar), never two. The point becomes known
when bar ``i + right`` closes: only from that bar on does ``value`` show it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime

from theo.domain.market import Bar
from theo.indicators import batch as vec
from theo.indicators.base import BarArrays, FloatArray, Indicator


@dataclass(frozen=True, slots=True)
class FractalValue:
    """The latest confirmed fractal high and low (``None`` until one exists); ``*_ts`` = fractal bar start.

    ``new_high``/``new_low`` are true on the bar where a new fractal high/low got confirmed.
    """

    high: float | None
    high_ts: datetime | None
    low: float | None
    low_ts: datetime | None
    new_high: bool = False
    new_low: bool = False


class PointTracker:
    """The shared confirmation logic of fractals and swings over a window of ``left + 1 + right`` bars."""

    __slots__ = ("high", "high_ts", "left", "low", "low_ts", "new_high", "new_low", "right", "window")

    def __init__(self, left: int, right: int) -> None:
        vec.check_period("left bars", left)
        vec.check_period("right bars", right)
        self.left = left
        self.right = right
        self.window: deque[tuple[datetime, float, float]] = deque(maxlen=left + right + 1)
        self.high: float | None = None
        self.high_ts: datetime | None = None
        self.low: float | None = None
        self.low_ts: datetime | None = None
        self.new_high = False
        self.new_low = False

    def update(self, bar: Bar) -> None:
        w = self.window
        w.append((bar.start, bar.high, bar.low))
        self.new_high = self.new_low = False
        if len(w) < w.maxlen:  # type: ignore[operator]
            return
        items = list(w)
        ts, h, lo = items[self.left]
        before, after = items[: self.left], items[self.left + 1 :]
        if all(h > b[1] for b in before) and all(h >= a[1] for a in after):
            self.high, self.high_ts, self.new_high = h, ts, True
        if all(lo < b[2] for b in before) and all(lo <= a[2] for a in after):
            self.low, self.low_ts, self.new_low = lo, ts, True


class Fractals(Indicator[FractalValue]):
    """Williams fractals with ``left``/``right`` bars on each side (default 2/2)."""

    outputs = ("high", "low")

    def __init__(self, left: int = 2, right: int = 2) -> None:
        super().__init__()
        self.left, self.right = left, right
        self.name = f"fractal_{left}_{right}"
        self._t = PointTracker(left, right)

    def _reset(self) -> None:
        self._t = PointTracker(self.left, self.right)

    def _update(self, bar: Bar) -> None:
        self._t.update(bar)

    @property
    def new_high(self) -> bool:
        return self._t.new_high

    @property
    def new_low(self) -> bool:
        return self._t.new_low

    @property
    def value(self) -> FractalValue | None:
        t = self._t
        if t.high is None and t.low is None:
            return None
        return FractalValue(t.high, t.high_ts, t.low, t.low_ts, t.new_high, t.new_low)

    @property
    def ready(self) -> bool:
        return self._t.high is not None or self._t.low is not None

    def values(self) -> dict[str, float | None]:
        return {"high": self._t.high, "low": self._t.low}

    def batch(self, bars: BarArrays) -> dict[str, FloatArray]:
        f = vec.fractals(bars.high, bars.low, self.left, self.right)
        return {"high": f.high, "low": f.low}
