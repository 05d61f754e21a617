"""Williams fractals, stamped on the bar that confirms them (no look-ahead).

Bar ``i`` is a fractal HIGH when its high is strictly above the highs of the ``left`` bars before it and
not below the highs of the ``right`` bars after it; a fractal LOW mirrors this with lows. The asymmetric
tie rule makes a flat top of equal highs one fractal (its first bar), never two. The point becomes known
when bar ``i + right`` closes: only from that bar on does ``value`` show it.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from datetime import datetime

from theo.indicators import batch as vec
from theo.indicators.base import BarArrays, FloatArray, Indicator, V
from theo.model.market import Bar


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

    __slots__ = ("_highs", "_lows", "_ts", "high", "high_ts", "left", "low", "low_ts", "new_high", "new_low",
                 "right", "size")

    def __init__(self, left: int, right: int) -> None:
        vec.check_period("left bars", left)
        vec.check_period("right bars", right)
        self.left = left
        self.right = right
        self.size = left + right + 1
        self._ts: list[datetime] = []
        self._highs: list[float] = []
        self._lows: list[float] = []
        self.high: float | None = None
        self.high_ts: datetime | None = None
        self.low: float | None = None
        self.low_ts: datetime | None = None
        self.new_high = False
        self.new_low = False

    def update(self, bar: Bar) -> None:
        hs, ls, ts = self._highs, self._lows, self._ts
        hs.append(bar.high)
        ls.append(bar.low)
        ts.append(bar.start)
        self.new_high = self.new_low = False
        if len(hs) > self.size:  # short lists: pop(0) is cheaper than deque indexing in the middle
            hs.pop(0)
            ls.pop(0)
            ts.pop(0)
        elif len(hs) < self.size:
            return
        c = self.left
        h, lo = hs[c], ls[c]
        if max(hs[:c]) < h and max(hs[c + 1 :]) <= h:
            self.high, self.high_ts, self.new_high = h, ts[c], True
        if min(ls[:c]) > lo and min(ls[c + 1 :]) >= lo:
            self.low, self.low_ts, self.new_low = lo, ts[c], True


    def rescale(self, factor: float) -> None:
        """Every price held times ``factor`` (a split's new basis); which bars are points does not change."""
        self._highs = [v * factor for v in self._highs]
        self._lows = [v * factor for v in self._lows]
        if self.high is not None:
            self.high *= factor
        if self.low is not None:
            self.low *= factor


class PointIndicator(Indicator[V]):
    """A :class:`PointTracker` behind the indicator interface: the common body of fractals and swings."""

    outputs = ("high", "low")
    prefix = "point"

    def __init__(self, left: int = 2, right: int = 2) -> None:
        super().__init__()
        self.left, self.right = left, right
        self.name = f"{self.prefix}_{left}_{right}"
        self._t = PointTracker(left, right)

    def _reset(self) -> None:
        self._t = PointTracker(self.left, self.right)

    def _update(self, bar: Bar) -> None:
        self._t.update(bar)

    def _rescale(self, factor: float) -> None:
        self._t.rescale(factor)

    @abstractmethod
    def _make_value(self, t: PointTracker) -> V:
        """The typed value of a tracker that holds at least one point."""

    @property
    def value(self) -> V | None:
        t = self._t
        if t.high is None and t.low is None:
            return None
        return self._make_value(t)

    @property
    def ready(self) -> bool:
        return self._t.high is not None or self._t.low is not None

    def values(self) -> dict[str, float | None]:
        return {"high": self._t.high, "low": self._t.low}

    def batch(self, bars: BarArrays) -> dict[str, FloatArray]:
        f = vec.fractals(bars.high, bars.low, self.left, self.right)
        return {"high": f.high, "low": f.low}


class Fractals(PointIndicator[FractalValue]):
    """Williams fractals with ``left``/``right`` bars on each side (default 2/2)."""

    prefix = "fractal"

    @property
    def new_high(self) -> bool:
        return self._t.new_high

    @property
    def new_low(self) -> bool:
        return self._t.new_low

    def _make_value(self, t: PointTracker) -> FractalValue:
        return FractalValue(t.high, t.high_ts, t.low, t.low_ts, t.new_high, t.new_low)
