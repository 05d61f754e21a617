"""Rolling Pearson, Spearman and Kendall on SPY vs QQQ 1-minute bars equal SciPy on every window."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tests.unit.indicators.support import arrays_from_frame, read_frame, to_bars
from theo.indicators.correlation import AlignedPair, RollingCorrelation, rolling_pair

SPY = "eqker/SPY_1min_2019-02-11_2019-02-15.csv.gz"
QQQ = "eqker/QQQ_1min_2019-02-11_2019-02-15.csv.gz"
SCIPY = {"pearson": lambda a, b: stats.pearsonr(a, b)[0],
         "spearman": lambda a, b: stats.spearmanr(a, b)[0],
         "kendall": lambda a, b: stats.kendalltau(a, b, variant="b")[0]}


def _reference_returns() -> pd.DataFrame:
    """Inner join on bar start, then log returns between consecutive common bars (pandas, not our code)."""
    a, b = read_frame(SPY), read_frame(QQQ)
    m = a[["start", "close"]].merge(b[["start", "close"]], on="start", suffixes=("_a", "_b"))
    m["ra"] = np.log(m["close_a"] / m["close_a"].shift())
    m["rb"] = np.log(m["close_b"] / m["close_b"].shift())
    return m.iloc[1:].reset_index(drop=True)


def _scipy_rolling(ra: np.ndarray, rb: np.ndarray, window: int, method: str, min_points: int) -> np.ndarray:
    out = np.full(ra.shape[0], np.nan)
    for i in range(ra.shape[0]):
        lo = max(0, i - window + 1)
        if i - lo + 1 >= min_points:
            out[i] = SCIPY[method](ra[lo : i + 1], rb[lo : i + 1])
    return out


@pytest.mark.parametrize("window", [30, 100])
@pytest.mark.parametrize("method", ["pearson", "spearman", "kendall"])
def test_batch_and_streaming_equal_scipy_on_every_window(method: str, window: int) -> None:
    ref = _reference_returns()
    assert len(ref) == 1947  # 1,948 common bars in the week (data README: 1,947 returns)
    expected = _scipy_rolling(ref["ra"].to_numpy(), ref["rb"].to_numpy(), window, method, 10)

    a = arrays_from_frame(read_frame(SPY), "SPY", "1m")
    b = arrays_from_frame(read_frame(QQQ), "QQQ", "1m")
    ts, batch = rolling_pair(a.start_us, a.close, b.start_us, b.close, window=window, method=method,
                             min_points=10)
    assert (ts == ref["start"].dt.as_unit("us").astype("int64").to_numpy()).all()
    assert (np.isnan(batch) == np.isnan(expected)).all()
    np.testing.assert_allclose(batch, expected, rtol=0, atol=1e-9, equal_nan=True)

    pair = AlignedPair("SPY", "QQQ", "1m", RollingCorrelation(method, window, 10))
    stream = []
    bars = sorted(to_bars(a) + to_bars(b), key=lambda x: (x.start, x.symbol != "QQQ"))
    for bar in bars:
        if pair.on_bar(bar):
            stream.append(np.nan if pair.corr.value is None else pair.corr.value)
    assert len(stream) == 1948
    assert np.isnan(stream[0])
    np.testing.assert_allclose(stream[1:], expected, rtol=0, atol=1e-9, equal_nan=True)
    assert pair.unpaired == {"SPY": 2, "QQQ": 0}  # two SPY minutes have no QQQ bar


def test_prices_mode_equals_scipy_on_close_prices() -> None:
    a = arrays_from_frame(read_frame(SPY), "SPY", "1m")
    b = arrays_from_frame(read_frame(QQQ), "QQQ", "1m")
    _ts, r = rolling_pair(a.start_us, a.close, b.start_us, b.close, window=100, method="pearson",
                         min_points=100, on="prices")
    ref = read_frame(SPY)[["start", "close"]].merge(read_frame(QQQ)[["start", "close"]], on="start")
    expected = _scipy_rolling(ref["close_x"].to_numpy(), ref["close_y"].to_numpy(), 100, "pearson", 100)
    np.testing.assert_allclose(r, expected, rtol=0, atol=1e-9, equal_nan=True)
    assert np.isfinite(r).sum() == len(ref) - 99


def test_streaming_pearson_stays_exact_over_many_windows() -> None:
    """The O(1) add/remove updates are re-anchored every window, so rounding does not drift."""
    rng = np.random.default_rng(7)
    x = 400 + np.cumsum(rng.normal(0, 0.05, 20_000))
    y = 0.5 * x + rng.normal(0, 0.3, 20_000)
    rc = RollingCorrelation("pearson", 50, 50, on="prices")
    for i, (u, v) in enumerate(zip(x, y, strict=True)):
        rc.update(float(u), float(v))
        if i >= 49 and i % 997 == 0:
            assert rc.value == pytest.approx(stats.pearsonr(x[i - 49 : i + 1], y[i - 49 : i + 1])[0], abs=1e-9)
    assert rc.count == 50


def test_timestamps_cover_bar_starts() -> None:
    ref = _reference_returns()
    assert (ref["start"].diff().dropna() >= timedelta(minutes=1)).all()
