"""Rolling z-score of a stream (the outlier flag of the quality gate)."""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import numpy.typing as npt


class RollingZ:
    """z of each new value against the previous ``window`` values (population std).

    Running sums make :meth:`push` O(1); they are recomputed from the buffer every ``window`` pushes so
    rounding error cannot build up.
    """

    __slots__ = ("_buf", "_n", "_s", "_s2", "window")

    def __init__(self, window: int) -> None:
        self.window = window
        self._buf: deque[float] = deque()
        self._s = 0.0
        self._s2 = 0.0
        self._n = 0

    def push(self, x: float) -> float | None:
        """Return the z-score of ``x`` (``None`` until the window is full or when it has no spread)."""
        z: float | None = None
        w = self.window
        if len(self._buf) == w:
            mean = self._s / w
            var = self._s2 / w - mean * mean
            if var > 1e-30:
                z = (x - mean) / math.sqrt(var)
            old = self._buf.popleft()
            self._s -= old
            self._s2 -= old * old
        self._buf.append(x)
        self._s += x
        self._s2 += x * x
        self._n += 1
        if self._n % w == 0:
            self._s = math.fsum(self._buf)
            self._s2 = math.fsum(v * v for v in self._buf)
        return z


def rolling_z(values: npt.NDArray[np.float64], window: int) -> npt.NDArray[np.float64]:
    """Vectorised :class:`RollingZ`: z of each value against the previous ``window`` (NaN where unknown)."""
    n = len(values)
    out = np.full(n, np.nan)
    if n <= window:
        return out
    c1 = np.r_[0.0, np.cumsum(values)]
    c2 = np.r_[0.0, np.cumsum(values * values)]
    idx = np.arange(window, n)
    s = c1[idx] - c1[idx - window]
    s2 = c2[idx] - c2[idx - window]
    mean = s / window
    var = s2 / window - mean * mean
    ok = var > 1e-30
    out[idx[ok]] = (values[idx[ok]] - mean[ok]) / np.sqrt(var[ok])
    return out
