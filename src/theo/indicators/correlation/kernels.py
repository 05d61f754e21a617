"""Rolling correlation kernels over whole arrays, O(n·w) or better, vectorised in chunks.

Pearson uses windowed sums of values centred on each chunk's mean (so prices near 400 lose no digits);
Spearman and Kendall work on exact integer counts (doubled average ranks, concordant minus discordant
pairs), so their only rounding is the final division and square root, the same as the streaming form's.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from theo.indicators.base import BoolArray, FloatArray, IntArray

CHUNK = 16384


def window_counts(n: int, window: int) -> IntArray:
    """Points in the window ending at each index (fewer than ``window`` at the start)."""
    return np.minimum(np.arange(1, n + 1, dtype=np.int64), window)


def constant_windows(x: FloatArray, window: int) -> BoolArray:
    """True where every value of the trailing window is equal (correlation undefined)."""
    n = x.shape[0]
    change = np.zeros(n, dtype=np.int64)
    change[1:] = x[1:] != x[:-1]
    c = np.concatenate(([0], np.cumsum(change)))
    idx = np.arange(n)
    first = np.maximum(idx - window + 1, 0)
    # changes strictly inside (first, i]
    return np.asarray((c[idx + 1] - c[first + 1]) == 0, dtype=np.bool_)


def tau_b(s: FloatArray | float, n: FloatArray | float, tx: FloatArray | float,
          ty: FloatArray | float) -> FloatArray | float:
    """Kendall's tau-b from S = concordant - discordant and the pairs tied in x and in y."""
    tot = n * (n - 1) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return s / np.sqrt(tot - tx) / np.sqrt(tot - ty)


def spearman_from_ranks(ab: FloatArray | float, aa: FloatArray | float, bb: FloatArray | float,
                        n: FloatArray | float) -> FloatArray | float:
    """Spearman's rho from sums over doubled average ranks a, b: Σab, Σa², Σb² (mean of a is n+1)."""
    m = n * (n + 1.0) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return (ab - m) / np.sqrt((aa - m) * (bb - m))


def doubled_ranks(v: FloatArray) -> IntArray:
    """2 × the average rank (1-based) of each value: ties share the mean of their ranks, kept integral."""
    n = v.shape[0]
    order = np.argsort(v, kind="stable")
    s = v[order]
    flag = np.empty(n, dtype=np.bool_)
    flag[:1] = True
    np.not_equal(s[1:], s[:-1], out=flag[1:])
    starts = np.flatnonzero(flag)
    ends = np.append(starts[1:], n)
    out = np.empty(n, dtype=np.int64)
    out[order] = (starts + 1 + ends)[np.cumsum(flag) - 1]  # ranks start+1 .. end average to (start+1+end)/2
    return out


def rolling_pearson(x: FloatArray, y: FloatArray, window: int) -> FloatArray:
    """Pearson r over each trailing window (NaN where a side is constant)."""
    n = x.shape[0]
    out = np.full(n, np.nan)
    for c0 in range(0, n, CHUNK):
        c1 = min(n, c0 + CHUNK)
        s0 = max(0, c0 - window + 1)
        dx = x[s0:c1] - x[s0:c1].mean()
        dy = y[s0:c1] - y[s0:c1].mean()
        z = np.zeros(1)
        sx = np.concatenate((z, np.cumsum(dx)))
        sy = np.concatenate((z, np.cumsum(dy)))
        sxx = np.concatenate((z, np.cumsum(dx * dx)))
        syy = np.concatenate((z, np.cumsum(dy * dy)))
        sxy = np.concatenate((z, np.cumsum(dx * dy)))
        i = np.arange(c0, c1)
        hi = i - s0 + 1
        lo = np.maximum(i - window + 1, 0) - s0
        m = (hi - lo).astype(np.float64)
        ax, ay = sx[hi] - sx[lo], sy[hi] - sy[lo]
        cov = (sxy[hi] - sxy[lo]) - ax * ay / m
        vx = (sxx[hi] - sxx[lo]) - ax * ax / m
        vy = (syy[hi] - syy[lo]) - ay * ay / m
        with np.errstate(divide="ignore", invalid="ignore"):
            out[c0:c1] = np.clip(cov / np.sqrt(vx * vy), -1.0, 1.0)
    out[constant_windows(x, window) | constant_windows(y, window)] = np.nan
    return out


def _doubled_ranks(v: FloatArray, window: int, j0: int, j1: int) -> npt.NDArray[np.int32]:
    """Doubled average rank of each point j in [j0, j1) within the windows ending at j, j+1, ..., j+w-1.

    Row m, column j - j0 is 2·rank of v[j] among the points of the window ending at j+m (points outside
    the series count as absent). Built row by row so every operation runs on contiguous memory.
    """
    w = window
    cols = j1 - j0
    pad = np.concatenate((np.full(w - 1, np.nan), v, np.full(w - 1, np.nan)))
    centre = v[j0:j1]
    c = np.zeros((2 * w, cols), dtype=np.int16)  # 2·(2w-1) < 2**15 for w <= 8000
    acc = np.zeros(cols, dtype=np.int16)
    for t in range(2 * w - 1):  # row t compares v[j] with v[j - w + 1 + t]
        seg = pad[j0 + t : j0 + t + cols]
        acc += seg < centre  # 2·[less] + [equal] = [less] + [less or equal]
        acc += seg <= centre
        c[t + 1] = acc
    r = (c[w:] - c[:w]).astype(np.int32)
    r += 1
    return r


def rolling_spearman(x: FloatArray, y: FloatArray, window: int) -> FloatArray:
    """Spearman rho (average ranks for ties) over each trailing window."""
    n = x.shape[0]
    w = window
    ab = np.zeros(n + w, dtype=np.int64)
    aa = np.zeros(n + w, dtype=np.int64)
    bb = np.zeros(n + w, dtype=np.int64)
    step = max(1, (1 << 23) // (2 * w))
    for j0 in range(0, n, step):
        j1 = min(n, j0 + step)
        a = _doubled_ranks(x, w, j0, j1)
        b = _doubled_ranks(y, w, j0, j1)
        pab, paa, pbb = a * b, a * a, b * b  # (2w)**2 fits int32
        for m in range(w):  # point j contributes to the window ending at j+m
            ab[j0 + m : j1 + m] += pab[m]
            aa[j0 + m : j1 + m] += paa[m]
            bb[j0 + m : j1 + m] += pbb[m]
    cnt = window_counts(n, w).astype(np.float64)
    out = np.asarray(spearman_from_ranks(ab[:n].astype(np.float64), aa[:n].astype(np.float64),
                                         bb[:n].astype(np.float64), cnt), dtype=np.float64)
    out[constant_windows(x, w) | constant_windows(y, w)] = np.nan
    return np.clip(out, -1.0, 1.0)


def rolling_kendall(x: FloatArray, y: FloatArray, window: int) -> FloatArray:
    """Kendall tau-b over each trailing window: S(i) = S(i-1) + pairs(new point) - pairs(leaving point),
    with exact integer counts."""
    n = x.shape[0]
    w = window
    new = np.zeros((3, n), dtype=np.int64)  # S, x-ties, y-ties of the newest point with the w-1 before it
    old = np.zeros((3, n), dtype=np.int64)  # the same for a point with the w-1 after it
    for d in range(1, min(w, n)):
        xa, xb, ya, yb = x[d:], x[:-d], y[d:], y[:-d]
        sx = (xa > xb).astype(np.int8) - (xa < xb)
        sy = (ya > yb).astype(np.int8) - (ya < yb)
        pair = sx * sy
        tx = xa == xb
        ty = ya == yb
        new[0, d:] += pair
        new[1, d:] += tx
        new[2, d:] += ty
        old[0, :-d] += pair
        old[1, :-d] += tx
        old[2, :-d] += ty
    delta = new
    if n > w:
        delta[:, w:] -= old[:, : n - w]  # point i-w leaves the window ending at i
    s, tx, ty = np.cumsum(delta, axis=1)
    cnt = window_counts(n, w).astype(np.float64)
    out = np.asarray(tau_b(s.astype(np.float64), cnt, tx.astype(np.float64), ty.astype(np.float64)),
                     dtype=np.float64)
    out[cnt < 2] = np.nan
    return np.clip(out, -1.0, 1.0)

