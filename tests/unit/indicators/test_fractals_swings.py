"""Fractal and swing points: the definition, the tie rule, stamping after R bars, change events."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.unit.indicators.support import synthetic, to_bars
from theo.core.bus import InMemoryBus
from theo.core.errors import DataError
from theo.indicators import Fractals, IndicatorSet, SwingEvent, Swings, parse_spec
from theo.indicators import batch as vec


def _run(ind: Any, highs: list[float], lows: list[float] | None = None) -> list[Any]:
    out = []
    for bar in to_bars(synthetic(highs, lows)):
        ind.update(bar)
        out.append(ind.value)
    return out


def test_a_fractal_high_is_stamped_on_the_bar_r_bars_after_it() -> None:
    highs = [10, 11, 15, 12, 11, 13, 14]
    a = synthetic(highs)
    vals = _run(Fractals(2, 2), highs)
    assert vals[2] is None
    assert vals[3] is None
    v = vals[4]
    assert v is not None
    assert v.high == 15
    assert v.high_ts == a.start(2)
    assert v.new_high
    assert vals[5] is not None
    assert vals[5].high == 15
    assert not vals[5].new_high


def test_equal_highs_make_one_fractal_on_the_first_bar_of_the_flat_top() -> None:
    highs = [10, 11, 15, 15, 12, 11, 10]
    a = synthetic(highs)
    f = vec.fractals(a.high, a.low, 2, 2)
    assert list(np.flatnonzero(f.new_high)) == [4]  # bar 2 confirmed at bar 4; bar 3 is not strict on its left
    assert f.high_index[4] == 2
    assert f.high[-1] == 15
    # A higher bar within R bars after kills the candidate.
    f2 = vec.fractals(*(np.array(x, float) for x in ([10, 11, 15, 12, 16, 11, 10], [0] * 7)), 2, 2)
    assert f2.high_index[4] == -1
    assert f2.high_index[6] == 4


def test_fractal_lows_mirror_highs_and_left_right_are_configurable() -> None:
    lows = [10, 9, 8, 5, 7, 9, 9, 9]
    highs = [x + 1 for x in lows]
    vals = _run(Fractals(3, 1), highs, lows)
    assert vals[3] is None
    v = vals[4]
    assert v is not None
    assert v.low == 5
    assert v.new_low
    assert v.high is None
    assert Fractals(3, 1).name == "fractal_3_1"


def test_swing_change_flags_are_true_once_per_new_point() -> None:
    highs = [10, 11, 15, 12, 11, 13, 17, 14, 12, 11, 10]
    vals = _run(Swings(2, 2), highs)
    changed = [i for i, v in enumerate(vals) if v is not None and v.high_changed]
    assert changed == [4, 8]
    assert vals[8] is not None
    assert vals[8].high == 17


def test_indicator_set_publishes_each_swing_change_exactly_once() -> None:
    bus = InMemoryBus(raise_errors=True)
    got: list[tuple[str, Any]] = []
    bus.subscribe("indicators.swing.>", lambda t, m: got.append((t, m)))
    highs = [10, 11, 15, 12, 11, 13, 17, 14, 12, 11, 10, 10, 10]
    lows = [h - 1 for h in highs]
    lows[9] = 5  # a swing low at bar 9, confirmed at bar 11
    iset = IndicatorSet("TEST", "1m", parse_spec("swing:2:2,atr:3"), bus)
    bars = to_bars(synthetic(highs, lows))
    for bar in bars:
        iset.update(bar)
    assert [t for t, _ in got] == ["indicators.swing.TEST"] * len(got)
    events = [m for _, m in got]
    assert all(isinstance(e, SwingEvent) for e in events)
    # SH 15 (bar 2) at bar 4, SL 10 (bar 4: lows 14, 11 | 12, 16) at bar 6, SH 17 at bar 8, SL 5 at bar 11
    assert [(e.ts, e.high_changed, e.low_changed) for e in events] == [
        (bars[4].start, True, False), (bars[6].start, False, True), (bars[8].start, True, False),
        (bars[11].start, False, True)]
    assert events[2].high == 17
    assert events[2].high_ts == bars[6].start
    assert events[3].low == 5
    assert events[3].indicator == "swing_2_2"
    assert events[3].timeframe == "1m"


def test_indicator_set_refuses_a_bar_of_another_series() -> None:
    iset = IndicatorSet("SPY", "1m", parse_spec("atr:3"))
    with pytest.raises(DataError, match="got a bar of TEST 1m"):
        iset.update(to_bars(synthetic([1.0, 2.0]))[0])


def test_a_series_shorter_than_the_confirmation_window_has_no_points() -> None:
    f = vec.fractals(np.array([1.0, 2.0]), np.array([0.0, 1.0]), 1, 3)
    assert np.isnan(f.high).all()
    assert (f.high_index == -1).all()


def test_a_reset_and_replay_publishes_no_change_twice() -> None:
    bus = InMemoryBus(raise_errors=True)
    got: list[SwingEvent] = []
    bus.subscribe("indicators.swing.>", lambda t, m: got.append(m))
    highs = [10, 11, 15, 12, 11, 13, 17, 14, 12, 11, 10, 12, 19, 13, 12]
    lows = [h - 5.0 for h in highs]
    lows[10] = 1.0  # a swing low at bar 10, confirmed at bar 12
    bars = to_bars(synthetic(highs, lows))
    iset = IndicatorSet("TEST", "1m", parse_spec("swing:2:2"), bus)
    for bar in bars[:10]:
        iset.update(bar)
    first = [(e.ts, e.high_changed and e.high, e.low_changed and e.low) for e in got]
    assert first == [(bars[4].start, 15, False), (bars[6].start, False, 6), (bars[8].start, 17, False)]
    iset.reset()  # a warm-up replay of bars already processed, then new bars
    for bar in bars:
        iset.update(bar)
    later = [(e.ts, e.high_changed and e.high, e.low_changed and e.low) for e in got[len(first):]]
    assert later == [(bars[12].start, False, 1.0), (bars[14].start, 19, False)]


def test_an_event_flags_only_the_side_that_is_new() -> None:
    bus = InMemoryBus(raise_errors=True)
    got: list[SwingEvent] = []
    bus.subscribe("indicators.swing.>", lambda t, m: got.append(m))
    # Bar 2 is both a swing high and a swing low (an outside bar): one event, both flags.
    highs = [10.0, 10.0, 12.0, 10.0, 10.0]
    lows = [9.0, 9.0, 7.0, 9.0, 9.0]
    iset = IndicatorSet("TEST", "1m", parse_spec("swing:2:2"), bus)
    for bar in to_bars(synthetic(highs, lows)):
        iset.update(bar)
    assert [(e.high, e.high_changed, e.low, e.low_changed) for e in got] == [(12.0, True, 7.0, True)]
    ts = got[0].high_ts
    assert ts is not None
    assert got[0].key == f"TEST/1m/swing_2_2/high@{ts.isoformat()}+low@{ts.isoformat()}"
