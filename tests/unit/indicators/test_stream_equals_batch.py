"""Every indicator: the streaming value after bar t equals the batch array at t, on real and generated bars;
and no value at an earlier bar changes when later bars are appended (no look-ahead)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.indicators.support import arrays_from_frame, assert_same, read_frame, to_bars
from theo.core.calendar import get_calendar
from theo.indicators import ATR, Donchian, Fractals, Pivots, Swings
from theo.indicators.base import BarArrays, Indicator
from theo.model.enums import SessionKind


def _all(calendar: Any = None) -> list[Indicator[Any]]:
    return [ATR(14), ATR(2), Donchian(20), Donchian(3), Fractals(2, 2), Fractals(1, 3), Swings(5, 5),
            Swings(2, 1), *(Pivots(m, calendar) for m in ("classic", "fibonacci", "camarilla", "woodie")),
            Pivots("classic", calendar, regular_only=False)]


def check_agreement(a: BarArrays, inds: list[Indicator[Any]], step: timedelta) -> None:
    streams: dict[tuple[int, str], list[float | None]] = {}
    for bar in to_bars(a, step):
        for k, ind in enumerate(inds):
            ind.update(bar)
            for out, v in ind.values().items():
                streams.setdefault((k, out), []).append(v)
    for k, ind in enumerate(inds):
        for out, arr in ind.batch(a).items():
            assert_same(streams[(k, out)], arr, rtol=1e-12 if isinstance(ind, ATR) else 0.0,
                        what=f"{ind.name}.{out}")


def _regular_flags(a: BarArrays, calendar: str) -> np.ndarray:
    cal = get_calendar(calendar)
    return np.array([cal.session_kind(a.start(i)) is SessionKind.REGULAR for i in range(len(a))])


@pytest.mark.parametrize(("rel", "tf", "step", "calendar"), [
    ("eqker/SPY_15min_2019-01-04_2019-02-15.csv.gz", "15m", timedelta(minutes=15), None),
    ("lean/SPY_1min_2013-10-04_2013-10-11.csv.gz", "1m", timedelta(minutes=1), "XNYS"),
    ("lean/ES_ESZ13_1min_2013-10-06_2013-10-11.csv.gz", "1m", timedelta(minutes=1), "CME_EQUITY"),
    ("eqker/SPY_1d_2018-01-02_2019-02-15.csv.gz", "1d", timedelta(days=1), None),
])
def test_streaming_equals_batch_on_real_bars(rel: str, tf: str, step: timedelta, calendar: str | None) -> None:
    a = arrays_from_frame(read_frame(rel), "SPY", tf)
    if calendar is not None:
        a = BarArrays(a.symbol, a.timeframe, a.start_us, a.open, a.high, a.low, a.close, a.volume,
                      _regular_flags(a, calendar))
    cal = get_calendar(calendar) if calendar else None
    inds = _all(cal)
    check_agreement(a, inds, step)
    piv = inds[8].batch(a)["pp"]
    assert np.isfinite(piv).sum() > len(a) // 2  # the pivots did get values on these files


def test_streaming_equals_batch_on_real_hourly_bars_over_23_years() -> None:
    a = arrays_from_frame(read_frame("lean/SPY_1h_1998-01-02_2021-03-31.csv.gz"), "SPY", "1h")
    check_agreement(a, [Donchian(20), Fractals(2, 2), Swings(3, 3), Pivots("classic", regular_only=False)],
                    timedelta(hours=1))


GAPS_MIN = [1, 1, 1, 5, 60, 600, 1440]


@st.composite
def bar_series(draw: st.DrawFn, max_size: int = 120) -> BarArrays:
    n = draw(st.integers(1, max_size))
    # Values on a coarse grid so equal highs/lows (ties) are common.
    mids = draw(st.lists(st.integers(90, 110), min_size=n, max_size=n))
    spreads = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))
    closes = draw(st.lists(st.floats(0, 1), min_size=n, max_size=n))
    gaps = draw(st.lists(st.sampled_from(GAPS_MIN), min_size=n, max_size=n))
    regular = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    hi = np.array(mids, float) + np.array(spreads, float) / 2
    lo = np.array(mids, float) - np.array(spreads, float) / 2
    cl = lo + (hi - lo) * np.array(closes)
    start = 1_546_612_200_000_000 + np.cumsum(np.array(gaps, dtype=np.int64)) * 60_000_000
    return BarArrays("GEN", "1m", start, cl, hi, lo, cl, np.ones(n), np.array(regular, dtype=bool))


@settings(max_examples=40, deadline=None)
@given(bar_series())
def test_streaming_equals_batch_on_generated_series(a: BarArrays) -> None:
    check_agreement(a, _all(), timedelta(minutes=1))


def _slice(a: BarArrays, k: int) -> BarArrays:
    return BarArrays(a.symbol, a.timeframe, a.start_us[:k], a.open[:k], a.high[:k], a.low[:k], a.close[:k],
                     a.volume[:k], a.regular[:k])


@settings(max_examples=40, deadline=None)
@given(bar_series(), st.data())
def test_no_value_changes_when_later_bars_are_appended(a: BarArrays, data: st.DataObject) -> None:
    k = data.draw(st.integers(1, len(a)))
    for ind in _all():
        full = ind.batch(a)
        prefix = ind.batch(_slice(a, k))
        for out, arr in prefix.items():
            np.testing.assert_array_equal(arr, full[out][:k], err_msg=f"{ind.name}.{out} looked ahead")


@settings(max_examples=30, deadline=None)
@given(bar_series(max_size=60))
def test_the_value_stamped_at_each_bar_uses_bars_up_to_it_only(a: BarArrays) -> None:
    for ind in (Fractals(2, 2), Swings(1, 2), Donchian(3), ATR(3), Pivots()):
        streamed = []
        for bar in to_bars(a):
            ind.update(bar)
            streamed.append(ind.values())
        for t in range(len(a)):
            alone = ind.batch(_slice(a, t + 1))
            for out, arr in alone.items():
                v = streamed[t][out]
                assert (v is None and np.isnan(arr[t])) or v == pytest.approx(arr[t], rel=1e-12)
