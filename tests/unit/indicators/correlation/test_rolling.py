"""RollingCorrelation and rolling_corr: not-enough-data, constant sides, bad input, stream == batch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theo.core.errors import ConfigError, DataError
from theo.indicators.correlation import RollingCorrelation, log_returns, rolling_corr


def test_too_few_points_give_not_enough_data_not_a_number() -> None:
    rc = RollingCorrelation("pearson", window=10, min_points=5, on="prices")
    for i in range(4):
        rc.update(float(i), float(i * 2 % 3))
        assert rc.value is None
    rc.update(4.0, 1.0)
    assert rc.count == 5
    assert rc.value is not None
    assert np.isnan(rolling_corr(np.arange(4.0), np.arange(4.0) ** 2, 10, "pearson", 5)).all()


def test_returns_mode_needs_one_more_price_than_points() -> None:
    rc = RollingCorrelation("kendall", window=3, min_points=3)
    prices = [(100.0, 50.0), (101.0, 50.5), (100.5, 50.1), (102.0, 51.0)]
    for x, y in prices[:3]:
        rc.update(x, y)
    assert rc.count == 2
    assert rc.value is None
    rc.update(*prices[3])
    assert rc.count == 3
    assert rc.value == pytest.approx(1.0)


@pytest.mark.parametrize("method", ["pearson", "spearman", "kendall"])
def test_a_constant_side_has_no_correlation(method: str) -> None:
    rc = RollingCorrelation(method, window=4, min_points=3, on="prices")
    for x, y in [(1.0, 5.0), (2.0, 5.0), (3.0, 5.0), (4.0, 5.0)]:
        rc.update(x, y)
    assert rc.value is None
    rc.update(5.0, 6.0)
    assert rc.value is not None
    out = rolling_corr(np.array([1.0, 2, 3, 4, 5]), np.array([5.0, 5, 5, 5, 6]), 4, method, 3)
    assert np.isnan(out[:4]).all()
    assert np.isfinite(out[4])


def test_bad_settings_and_bad_input_are_refused_with_the_value() -> None:
    with pytest.raises(ConfigError, match="unknown correlation method 'pearsonn'"):
        RollingCorrelation("pearsonn")
    with pytest.raises(ConfigError, match="min_points 200 must be between 2 and the window"):
        RollingCorrelation("pearson", 100, 200)
    with pytest.raises(ConfigError, match="correlation window 1 is out of range"):
        rolling_corr(np.ones(3), np.ones(3), 1, "pearson", 2)
    rc = RollingCorrelation()
    with pytest.raises(DataError, match="not finite"):
        rc.update(math.nan, 1.0)
    with pytest.raises(DataError, match="non-positive prices"):
        rc.update(0.0, 1.0)
    with pytest.raises(DataError, match="not positive"):
        log_returns(np.array([1.0, -2.0]))
    with pytest.raises(DataError, match="position 1 is not finite"):
        rolling_corr(np.array([1.0, np.inf, 3.0]), np.ones(3), 3, "pearson", 2)


def test_reset_forgets_the_window() -> None:
    rc = RollingCorrelation("spearman", 5, 2, on="prices")
    for i in range(6):
        rc.update(float(i), float(i * i))
    assert rc.value == pytest.approx(1.0)
    rc.reset()
    assert rc.count == 0
    assert rc.value is None


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(["pearson", "spearman", "kendall"]), st.integers(2, 40), st.data())
def test_streaming_equals_batch_on_generated_series_with_ties(method: str, window: int,
                                                              data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 150))
    ints = st.lists(st.integers(-5, 5), min_size=n, max_size=n)
    x = np.array(data.draw(ints), dtype=float) / 4
    y = np.array(data.draw(ints), dtype=float) / 4
    min_points = data.draw(st.integers(2, window))
    batch = rolling_corr(x, y, window, method, min_points)
    rc = RollingCorrelation(method, window, min_points, on="prices")
    for i in range(n):
        rc.update(float(x[i]), float(y[i]))
        v = rc.value
        if v is None:
            assert np.isnan(batch[i]), f"bar {i}: stream has no value, batch has {batch[i]}"
        else:
            assert v == pytest.approx(batch[i], abs=1e-12), f"bar {i}"
