"""Batch correlation: rolling series of a pair and the N×N matrix, on series aligned by bar start."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from theo.core.errors import DataError
from theo.indicators.base import FloatArray, IntArray
from theo.indicators.correlation import kernels
from theo.indicators.correlation.rolling import check_params

_KERNELS = {"pearson": kernels.rolling_pearson, "spearman": kernels.rolling_spearman,
            "kendall": kernels.rolling_kendall}


def rolling_corr(x: FloatArray, y: FloatArray, window: int = 100, method: str = "pearson",
                 min_points: int = 30) -> FloatArray:
    """Correlation of each trailing window of ``window`` points; NaN = not enough data (or a constant side).

    ``x`` and ``y`` are already aligned (same length, finite). The value at ``i`` uses points up to ``i``.
    """
    check_params(method, window, min_points)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise DataError(f"correlation inputs must be 1-D and of equal length, got {x.shape} and {y.shape}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        bad = int(np.flatnonzero(~(np.isfinite(x) & np.isfinite(y)))[0])
        raise DataError(f"correlation input at position {bad} is not finite; align and clean the series first")
    out = _KERNELS[method](x, y, window)
    out[kernels.window_counts(x.shape[0], window) < min_points] = np.nan
    return out


def log_returns(prices: FloatArray) -> FloatArray:
    """Log returns between consecutive prices (one fewer than the prices); refuses non-positive prices."""
    p = np.asarray(prices, dtype=np.float64)
    if (p <= 0).any():
        bad = int(np.flatnonzero(p <= 0)[0])
        raise DataError(f"price {p[bad]} at position {bad} is not positive: log returns need prices > 0")
    return np.log(p[1:] / p[:-1])


def align(a_start: IntArray, a_close: FloatArray, b_start: IntArray,
          b_close: FloatArray) -> tuple[IntArray, FloatArray, FloatArray]:
    """Inner-join two bar series on start time; bars present in only one series are left out."""
    for name, s in (("first", a_start), ("second", b_start)):
        if s.shape[0] > 1 and not (np.diff(s) > 0).all():
            raise DataError(f"the {name} series has bar starts out of order or repeated; sort and de-duplicate")
    common, ia, ib = np.intersect1d(a_start, b_start, assume_unique=True, return_indices=True)
    return common.astype(np.int64), a_close[ia], b_close[ib]


def rolling_pair(a_start: IntArray, a_close: FloatArray, b_start: IntArray, b_close: FloatArray, *,
                 window: int = 100, method: str = "pearson", min_points: int = 30,
                 on: str = "returns") -> tuple[IntArray, FloatArray]:
    """The rolling correlation of a pair, stamped at the common bar starts it was computed at."""
    check_params(method, window, min_points, on)
    ts, a, b = align(a_start, a_close, b_start, b_close)
    if on == "returns":
        ts, a, b = ts[1:], log_returns(a), log_returns(b)
    return ts, rolling_corr(a, b, window, method, min_points)


@dataclass(frozen=True)
class CorrelationMatrix:
    """Correlation of each pair over its last ``window`` common points.

    ``values[i, j]`` is NaN when the pair has fewer than ``min_points`` common points (``status``
    ``not_enough_data``), a constant side (``undefined``) or a stale series (``stale``: its last common
    bar is older than ``max_staleness`` before the newest bar of all series).
    """

    symbols: tuple[str, ...]
    values: FloatArray
    n_points: npt.NDArray[np.int64]
    status: npt.NDArray[np.object_]
    method: str
    window: int
    on: str


def correlation_matrix(series: Mapping[str, tuple[IntArray, FloatArray]], method: str = "pearson",
                       window: int = 100, on: str = "returns", min_points: int | None = None,
                       max_staleness_us: int | None = None) -> CorrelationMatrix:
    """Pairwise correlations of N series given as ``symbol -> (start_us, close)``."""
    mp = min(30, window) if min_points is None else min_points
    check_params(method, window, mp, on)
    symbols: Sequence[str] = list(series)
    k = len(symbols)
    values = np.full((k, k), np.nan)
    counts = np.zeros((k, k), dtype=np.int64)
    status = np.full((k, k), "ok", dtype=object)
    newest = max((int(s[0][-1]) for s in series.values() if s[0].shape[0]), default=0)
    for i in range(k):
        for j in range(i, k):
            ts, a, b = align(*series[symbols[i]], *series[symbols[j]])
            if on == "returns":
                ts, a, b = ts[1:], log_returns(a), log_returns(b)
            a, b = a[-window:], b[-window:]
            n = a.shape[0]
            counts[i, j] = counts[j, i] = n
            if n < mp:
                st, v = "not_enough_data", np.nan
            elif max_staleness_us is not None and newest - int(ts[-1]) > max_staleness_us:
                st, v = "stale", np.nan
            else:
                v = float(_KERNELS[method](a, b, window)[-1]) if i != j else 1.0
                if i == j and (a == a[0]).all():
                    v = np.nan
                st = "ok" if np.isfinite(v) else "undefined"
            values[i, j] = values[j, i] = v
            status[i, j] = status[j, i] = st
    return CorrelationMatrix(tuple(symbols), values, counts, status, method, window, on)
