"""Streaming rolling correlation of two aligned series (Pearson, Spearman, Kendall).

Pearson is O(1) per point: Welford-style add/remove of means and co-moments, recomputed exactly from the
window every ``window`` points so rounding cannot drift. Spearman ranks the window (O(w log w), NumPy)
and Kendall adds the new point's pairs and removes the leaving point's (O(w), NumPy); both use exact
integer counts, so they equal the batch form bit for bit.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Literal

import numpy as np

from theo.core.errors import ConfigError, DataError
from theo.indicators.correlation import kernels

Method = Literal["pearson", "spearman", "kendall"]
On = Literal["returns", "prices"]
METHODS: tuple[str, ...] = ("pearson", "spearman", "kendall")
MAX_WINDOW = 8000


def check_params(method: str, window: int, min_points: int, on: str = "returns") -> None:
    """Refuse impossible settings with the value and the allowed range."""
    if method not in METHODS:
        raise ConfigError(f"unknown correlation method {method!r}; use one of {', '.join(METHODS)}")
    if not 2 <= window <= MAX_WINDOW:
        raise ConfigError(f"correlation window {window} is out of range; use 2..{MAX_WINDOW} points")
    if not 2 <= min_points <= window:
        raise ConfigError(f"min_points {min_points} must be between 2 and the window ({window})")
    if on not in ("returns", "prices"):
        raise ConfigError(f"correlation input {on!r} is unknown; use 'returns' or 'prices'")


class RollingCorrelation:
    """Correlation of the last ``window`` points; ``value`` is ``None`` with fewer than ``min_points``.

    With ``on="returns"`` (default) :meth:`update` takes prices and correlates log returns between
    consecutive updates; with ``on="prices"`` it correlates the values as given. A window where either
    side is constant has no correlation either (``value`` is ``None``).
    """

    def __init__(self, method: Method | str = "pearson", window: int = 100, min_points: int = 30,
                 on: On | str = "returns") -> None:
        check_params(method, window, min_points, on)
        self.method = method
        self.window = window
        self.min_points = min_points
        self.on = on
        self.reset()

    def reset(self) -> None:
        """Forget every point."""
        self._xs: deque[float] = deque()
        self._ys: deque[float] = deque()
        self._prev: tuple[float, float] | None = None
        self._mx = self._my = self._cxx = self._cyy = self._cxy = 0.0
        self._since_exact = 0
        self._s = self._tx = self._ty = 0
        self._run_x = self._run_y = 0  # trailing run of equal values: the window is constant when >= count
        self._value: float | None = None

    @property
    def count(self) -> int:
        """Points in the current window."""
        return len(self._xs)

    @property
    def value(self) -> float | None:
        """The correlation of the current window, ``None`` = not enough data (or a constant side)."""
        return self._value

    def update(self, x: float, y: float) -> None:
        """Add one aligned pair (prices with ``on="returns"``)."""
        if not (math.isfinite(x) and math.isfinite(y)):
            raise DataError(f"correlation input ({x}, {y}) is not finite; drop or repair the bar first")
        if self.on == "returns":
            if x <= 0 or y <= 0:
                raise DataError(f"cannot take log returns of non-positive prices ({x}, {y}); "
                                "use on='prices' for series that cross zero")
            prev, self._prev = self._prev, (x, y)
            if prev is None:
                return
            x, y = math.log(x / prev[0]), math.log(y / prev[1])
        if len(self._xs) == self.window:
            self._remove()
        self._add(x, y)
        self._value = self._compute() if len(self._xs) >= self.min_points else None

    def rescale(self, x_factor: float = 1.0, y_factor: float = 1.0) -> None:
        """Put the prices held on a split's new basis (``x_factor`` for the first series, ``y_factor`` for the
        second). Log returns do not change; with ``on="prices"`` the window and its moments are rescaled, and
        the correlation (scale-free) stays what it was."""
        if self._prev is not None:
            self._prev = (self._prev[0] * x_factor, self._prev[1] * y_factor)
        if self.on != "prices":
            return
        self._xs = deque(v * x_factor for v in self._xs)
        self._ys = deque(v * y_factor for v in self._ys)
        self._mx *= x_factor
        self._my *= y_factor
        self._cxx *= x_factor * x_factor
        self._cyy *= y_factor * y_factor
        self._cxy *= x_factor * y_factor

    # -- window maintenance ---------------------------------------------------------------------------
    def _add(self, x: float, y: float) -> None:
        if self.method == "kendall" and self._xs:
            xs, ys = np.fromiter(self._xs, float), np.fromiter(self._ys, float)
            self._s += int((np.sign(x - xs) * np.sign(y - ys)).sum())
            self._tx += int((xs == x).sum())
            self._ty += int((ys == y).sum())
        self._run_x = self._run_x + 1 if self._xs and self._xs[-1] == x else 1
        self._run_y = self._run_y + 1 if self._ys and self._ys[-1] == y else 1
        self._xs.append(x)
        self._ys.append(y)
        if self.method == "pearson":
            n = len(self._xs)
            dx, dy = x - self._mx, y - self._my
            self._mx += dx / n
            self._my += dy / n
            self._cxx += dx * (x - self._mx)
            self._cyy += dy * (y - self._my)
            self._cxy += dx * (y - self._my)

    def _remove(self) -> None:
        x, y = self._xs.popleft(), self._ys.popleft()
        if self.method == "kendall" and self._xs:
            xs, ys = np.fromiter(self._xs, float), np.fromiter(self._ys, float)
            self._s -= int((np.sign(x - xs) * np.sign(y - ys)).sum())
            self._tx -= int((xs == x).sum())
            self._ty -= int((ys == y).sum())
        if self.method == "pearson":
            n = len(self._xs)
            if n == 0:
                self._mx = self._my = self._cxx = self._cyy = self._cxy = 0.0
                return
            dx, dy = x - self._mx, y - self._my
            self._mx -= dx / n
            self._my -= dy / n
            self._cxx -= dx * (x - self._mx)
            self._cyy -= dy * (y - self._my)
            self._cxy -= dx * (y - self._my)

    # -- values -----------------------------------------------------------------------------------------
    def _constant(self) -> bool:
        n = len(self._xs)
        return self._run_x >= n or self._run_y >= n

    def _compute(self) -> float | None:
        n = len(self._xs)
        if self.method == "pearson":
            self._since_exact += 1
            if self._since_exact >= self.window:
                self._exact_moments()
            if self._cxx <= 0.0 or self._cyy <= 0.0 or self._constant():
                return None
            return max(-1.0, min(1.0, self._cxy / math.sqrt(self._cxx * self._cyy)))
        if self._constant():
            return None
        if self.method == "kendall":
            return max(-1.0, min(1.0, float(kernels.tau_b(float(self._s), float(n), float(self._tx),
                                                          float(self._ty)))))
        a = kernels.doubled_ranks(np.fromiter(self._xs, float))
        b = kernels.doubled_ranks(np.fromiter(self._ys, float))
        rho = kernels.spearman_from_ranks(float(a @ b), float(a @ a), float(b @ b), float(n))
        return max(-1.0, min(1.0, float(rho)))

    def _exact_moments(self) -> None:
        """Recompute means and co-moments from the window (two-pass), resetting rounding drift."""
        xs, ys = np.fromiter(self._xs, float), np.fromiter(self._ys, float)
        self._mx, self._my = float(xs.mean()), float(ys.mean())
        dx, dy = xs - self._mx, ys - self._my
        self._cxx, self._cyy, self._cxy = float(dx @ dx), float(dy @ dy), float(dx @ dy)
        self._since_exact = 0
