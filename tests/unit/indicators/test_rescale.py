"""An indicator rescaled by a split's factor mid-stream holds what it would hold had it seen the earlier bars
adjusted: equal bit for bit for a power-of-two factor (2-for-1, 1-for-2), to rounding for any other."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theo.indicators import ATR, Donchian, Fractals, Indicator, Pivots, Swings
from theo.indicators.correlation.rolling import RollingCorrelation
from theo.model.market import Bar
from theo.strategy.base import split_bar

T0 = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)
MAKERS: dict[str, Callable[[], Indicator[object]]] = {
    "atr": lambda: ATR(5), "donchian": lambda: Donchian(7), "fractals": lambda: Fractals(2, 2),
    "swings": lambda: Swings(3, 2), "pivots": lambda: Pivots("classic"),
}


def _bars(moves: list[float], start: float = 100.0) -> list[Bar]:
    """Hourly bars over several ET days (the pivots see sessions change)."""
    out, price = [], start
    for k, m in enumerate(moves):
        o, c = price, max(1.0, price * (1 + m))
        t = T0 + timedelta(hours=k)
        out.append(Bar("X", "1h", t, t + timedelta(hours=1), o, max(o, c) * 1.003, min(o, c) * 0.997, c, 1000.0 + k))
        price = c
    return out


def _compare(a: dict[str, float | None], b: dict[str, float | None], exact: bool) -> None:
    assert a.keys() == b.keys()
    for k in a:
        x, y = a[k], b[k]
        if x is None or y is None or exact:
            assert x == y, k
        else:
            assert math.isclose(x, y, rel_tol=1e-12), k


moves = st.lists(st.floats(-0.03, 0.03, allow_nan=False), min_size=12, max_size=60)


@pytest.mark.parametrize("name", sorted(MAKERS))
@settings(max_examples=40, deadline=None)
@given(moves=moves, cut=st.integers(1, 40), factor=st.sampled_from([0.5, 2.0, 1 / 3, 0.1, 4.0]))
def test_rescaling_equals_feeding_the_adjusted_bars(name: str, moves: list[float], cut: int, factor: float) -> None:
    bars = _bars(moves)
    cut = min(cut, len(bars) - 1)
    crossing, adjusted = MAKERS[name](), MAKERS[name]()
    for b in bars[:cut]:
        crossing.update(b)
        adjusted.update(split_bar(b, factor))
    crossing.rescale(factor)
    exact = math.frexp(factor)[0] == 0.5  # a power of two scales floats exactly
    _compare(crossing.values(), adjusted.values(), exact)
    for b in bars[cut:]:
        crossing.update(b)
        adjusted.update(b)
        _compare(crossing.values(), adjusted.values(), exact)


@pytest.mark.parametrize("on", ["returns", "prices"])
@pytest.mark.parametrize("method", ["pearson", "spearman", "kendall"])
def test_a_rolling_correlation_rescaled_on_either_side_goes_on_as_on_adjusted_inputs(method: str, on: str) -> None:
    xs = [100 * (1 + 0.01 * math.sin(k * 0.7)) + k * 0.1 for k in range(40)]
    ys = [50 * (1 + 0.02 * math.cos(k * 0.4)) - k * 0.05 for k in range(40)]
    crossing, adjusted = RollingCorrelation(method, 12, 5, on=on), RollingCorrelation(method, 12, 5, on=on)
    for x, y in zip(xs[:25], ys[:25], strict=True):
        crossing.update(x, y)
        adjusted.update(x * 0.5, y * 4.0)
    crossing.rescale(x_factor=0.5, y_factor=4.0)
    for x, y in zip(xs[25:], ys[25:], strict=True):
        crossing.update(x, y)
        adjusted.update(x, y)
        assert crossing.value is not None
        assert adjusted.value is not None
        assert crossing.value == pytest.approx(adjusted.value, abs=1e-12)
