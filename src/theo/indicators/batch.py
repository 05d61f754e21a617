"""Vectorised (NumPy) forms of every indicator: arrays aligned to the bars, NaN until ready.

Each function gives, bar by bar, the value the streaming class holds after updating on that bar; the
tests compare both on real and generated series.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from theo.core.errors import ConfigError
from theo.indicators.base import BoolArray, FloatArray, IntArray

PIVOT_METHODS = ("classic", "fibonacci", "camarilla", "woodie")


def check_period(what: str, period: int, minimum: int = 1) -> None:
    if period < minimum:
        raise ConfigError(f"{what} must be at least {minimum}, got {period}")


def true_range(high: FloatArray, low: FloatArray, close: FloatArray) -> FloatArray:
    """TA-Lib's TRANGE: max(H-L, |H-prevC|, |L-prevC|); NaN on the first bar (no previous close)."""
    out = np.full(high.shape[0], np.nan)
    if high.shape[0] > 1:
        prev = close[:-1]
        out[1:] = np.maximum(high[1:] - low[1:], np.maximum(np.abs(prev - high[1:]), np.abs(prev - low[1:])))
    return out


def atr(high: FloatArray, low: FloatArray, close: FloatArray, period: int = 14) -> FloatArray:
    """Average True Range with Wilder smoothing, seeded as TA-Lib seeds it.

    The first value sits on bar ``period`` (the mean of the true ranges of bars 1..period); then
    ``atr = (prev * (period - 1) + tr) / period``.
    """
    check_period("ATR period", period)
    n = high.shape[0]
    out = np.full(n, np.nan)
    if n <= period:
        return out
    tr = true_range(high, low, close)
    seed = 0.0
    for v in tr[1 : period + 1].tolist():  # sequential sum, as TA-Lib adds
        seed += v
    seed /= period
    out[period] = seed
    a = (period - 1) / period
    if n > period + 1:
        # Wilder's recursion as a first-order IIR filter runs in C; it equals the loop to ~1 ulp per step.
        from scipy.signal import lfilter  # imported when needed: scipy takes seconds to import

        y, _ = lfilter([1.0 / period], [1.0, -a], tr[period + 1 :], zi=[a * seed])
        out[period + 1 :] = y
    return out


def rolling_extreme(x: FloatArray, window: int, op: np.ufunc) -> FloatArray:
    """``op`` (np.maximum/np.minimum) over each trailing window, by doubling: O(n log w), exact.

    Entries before ``window - 1`` cover fewer bars; callers mask them.
    """
    acc = x.copy()
    span = 1
    while span * 2 <= window:  # acc[i] = op over x[i-span+1 .. i]
        nxt = acc.copy()
        op(acc[span:], acc[:-span], out=nxt[span:])
        acc, span = nxt, span * 2
    rest = window - span
    if rest == 0:
        return acc
    out = acc.copy()
    op(acc[rest:], acc[:-rest], out=out[rest:])  # two overlapping spans cover the window
    return out


class DonchianArrays(NamedTuple):
    upper: FloatArray
    middle: FloatArray
    lower: FloatArray


def donchian(high: FloatArray, low: FloatArray, period: int = 20) -> DonchianArrays:
    """Highest high and lowest low of the last ``period`` bars INCLUDING the current one; middle = mean."""
    check_period("Donchian period", period)
    n = high.shape[0]
    upper = np.full(n, np.nan)
    lower = np.full(n, np.nan)
    if n >= period:
        upper[period - 1 :] = rolling_extreme(high, period, np.maximum)[period - 1 :]
        lower[period - 1 :] = rolling_extreme(low, period, np.minimum)[period - 1 :]
    return DonchianArrays(upper, (upper + lower) / 2.0, lower)


class FractalArrays(NamedTuple):
    """Latest confirmed fractal per bar; ``*_index`` is the fractal bar's position (-1 when none)."""

    high: FloatArray
    low: FloatArray
    high_index: IntArray
    low_index: IntArray
    new_high: BoolArray
    new_low: BoolArray


def _confirmed_points(values: FloatArray, left: int, right: int, upper: bool) -> BoolArray:
    """Mask of bars that are fractal points: strict against the ``left`` bars, not exceeded by the ``right``."""
    n = values.shape[0]
    out = np.zeros(n, dtype=np.bool_)
    if n < left + right + 1:
        return out
    centre = values[left : n - right]
    ok = np.ones(centre.shape[0], dtype=np.bool_)
    for d in range(1, left + 1):  # one comparison per neighbour keeps every pass contiguous
        other = values[left - d : n - right - d]
        ok &= (centre > other) if upper else (centre < other)
    for d in range(1, right + 1):
        other = values[left + d : n - right + d]
        ok &= (centre >= other) if upper else (centre <= other)
    out[left : n - right] = ok
    return out


def _latest(values: FloatArray, points: BoolArray, right: int) -> tuple[FloatArray, IntArray, BoolArray]:
    n = values.shape[0]
    new = np.zeros(n, dtype=np.bool_)
    if right < n:
        new[right:] = points[: n - right]
    idx = np.where(new, np.arange(n) - right, -1)
    idx = np.maximum.accumulate(idx) if n else idx
    latest = np.where(idx >= 0, values[np.maximum(idx, 0)], np.nan)
    return latest, idx.astype(np.int64), new


def fractals(high: FloatArray, low: FloatArray, left: int = 2, right: int = 2) -> FractalArrays:
    """Williams fractals as known at each bar: a point is stamped ``right`` bars after the fractal bar."""
    check_period("fractal left bars", left)
    check_period("fractal right bars", right)
    hi, hi_idx, new_hi = _latest(high, _confirmed_points(high, left, right, True), right)
    lo, lo_idx, new_lo = _latest(low, _confirmed_points(low, left, right, False), right)
    return FractalArrays(hi, lo, hi_idx, lo_idx, new_hi, new_lo)


def swings(high: FloatArray, low: FloatArray, left: int = 2, right: int = 2) -> FractalArrays:
    """Swing highs/lows (SH/SL) as known at each bar; ``new_*`` marks the bars where SH/SL changed."""
    return fractals(high, low, left, right)


class PivotArrays(NamedTuple):
    pp: FloatArray
    r1: FloatArray
    r2: FloatArray
    r3: FloatArray
    s1: FloatArray
    s2: FloatArray
    s3: FloatArray


def pivots(session_high: FloatArray, session_low: FloatArray, session_close: FloatArray,
           method: str = "classic") -> PivotArrays:
    """Pivot levels from (previous-session) high, low and close, element by element."""
    h, lo, c = session_high, session_low, session_close
    rng = h - lo
    if method == "classic":
        pp = (h + lo + c) / 3.0
        return PivotArrays(pp, 2.0 * pp - lo, pp + rng, h + 2.0 * (pp - lo),
                           2.0 * pp - h, pp - rng, lo - 2.0 * (h - pp))
    if method == "fibonacci":
        pp = (h + lo + c) / 3.0
        return PivotArrays(pp, pp + 0.382 * rng, pp + 0.618 * rng, pp + rng,
                           pp - 0.382 * rng, pp - 0.618 * rng, pp - rng)
    if method == "camarilla":
        pp = (h + lo + c) / 3.0
        k = rng * 1.1
        return PivotArrays(pp, c + k / 12.0, c + k / 6.0, c + k / 4.0, c - k / 12.0, c - k / 6.0, c - k / 4.0)
    if method == "woodie":
        pp = (h + lo + 2.0 * c) / 4.0
        return PivotArrays(pp, 2.0 * pp - lo, pp + rng, h + 2.0 * (pp - lo),
                           2.0 * pp - h, pp - rng, lo - 2.0 * (h - pp))
    raise ConfigError(f"unknown pivot method {method!r}; use one of {', '.join(PIVOT_METHODS)}")


class SessionHLC(NamedTuple):
    high: FloatArray
    low: FloatArray
    close: FloatArray


def previous_session_hlc(keys: IntArray, high: FloatArray, low: FloatArray, close: FloatArray,
                         counted: BoolArray) -> SessionHLC:
    """High, low and close of the latest EARLIER session that has counted bars, aligned to each bar.

    ``keys`` labels each bar's session (equal keys are contiguous); ``counted`` says which bars build the
    session's H/L/C (regular-session bars by default).
    """
    n = keys.shape[0]
    nan = np.full(n, np.nan)
    if n == 0:
        return SessionHLC(nan, nan.copy(), nan.copy())
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    group = np.cumsum(np.concatenate(([True], keys[1:] != keys[:-1]))) - 1
    g_hi = np.maximum.reduceat(np.where(counted, high, -np.inf), starts)
    g_lo = np.minimum.reduceat(np.where(counted, low, np.inf), starts)
    last_counted = np.maximum.accumulate(np.where(counted, np.arange(n), -1))
    ends = np.concatenate((starts[1:], [n])) - 1
    g_last = last_counted[ends]
    has = np.maximum.reduceat(counted.astype(np.int8), starts) > 0
    g_close = np.where(has, close[np.maximum(g_last, 0)], np.nan)
    # For session g, the source is the latest session < g with counted bars.
    src = np.where(has, np.arange(has.shape[0]), -1)
    src = np.maximum.accumulate(src)
    prev_src = np.concatenate(([-1], src[:-1]))
    ok = prev_src >= 0
    ps = np.maximum(prev_src, 0)
    bar_src = prev_src[group]
    bar_ok = ok[group] & (bar_src >= 0)
    return SessionHLC(
        np.where(bar_ok, g_hi[ps][group], np.nan),
        np.where(bar_ok, g_lo[ps][group], np.nan),
        np.where(bar_ok, g_close[ps][group], np.nan),
    )
