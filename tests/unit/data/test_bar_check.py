"""Impossible bars: flagged with a reason per instrument class, kept out of indicators, never silently used."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from theo.core.calendar import ET
from theo.core.time import to_us
from theo.data.adjusted import prepare_bars
from theo.data.bar_check import IMPOSSIBLE_RANGE, InstrumentClass, check_bars, instrument_class
from theo.data.config import BarLimits
from theo.indicators.base import BarArrays
from theo.model.enums import Adjustment

MINUTE = 60_000_000
DAY = 86_400 * 1_000_000


def _bars(high: list[float], low: list[float], symbol: str = "AAPL") -> BarArrays:
    n = len(high)
    start = to_us(datetime(2014, 6, 9, 9, 30, tzinfo=ET)) + np.arange(n, dtype=np.int64) * MINUTE
    lo = np.array(low)
    return BarArrays(symbol, "1m", start, lo.copy(), np.array(high), lo, lo.copy(), np.full(n, 100.0),
                     np.ones(n, dtype=bool))


def test_a_minute_bar_whose_high_is_seven_times_its_low_is_impossible() -> None:
    b = _bars([93.0, 651.0, 93.5], [92.0, 93.0, 92.9])
    check = check_bars("AAPL", "1m", MINUTE, b.start_us, b.open, b.high, b.low, b.close, BarLimits())
    assert check.bad.tolist() == [False, True, False]
    assert check.by_reason == {IMPOSSIBLE_RANGE: 1}
    assert "AAPL 1m 2014-06-09 09:31:00 EDT: impossible_range: high 651 is 7.00x the low 93" in check.reasons[0]


def test_limits_depend_on_the_instrument_class_and_the_bar_length() -> None:
    limits = BarLimits()
    assert instrument_class("VIX", limits) is InstrumentClass.INDEX
    assert instrument_class("MESZ26", limits) is InstrumentClass.FUTURE
    assert instrument_class("SPY", limits) is InstrumentClass.EQUITY
    start = np.array([0], dtype=np.int64)
    one = np.array([10.0])
    wide = np.array([30.0])
    # a 3x range: possible for a stock within a minute, not for a future; possible in a day for VIX
    assert not check_bars("SPY", "1m", MINUTE, start, one, wide, one, one, limits).bad[0]
    assert check_bars("MESZ26", "1m", MINUTE, start, one, wide, one, one, limits).bad[0]
    assert check_bars("VIX", "1m", MINUTE, start, one, wide, one, one, limits).bad[0]
    assert not check_bars("VIX", "1d", DAY, start, one, wide, one, one, limits).bad[0]


def test_impossible_bars_are_left_out_of_what_indicators_read_and_said_so() -> None:
    b = _bars([93.0, 651.0, 93.5, 94.0], [92.0, 93.0, 92.9, -1.0])
    out, prepared = prepare_bars(b, [], Adjustment.SPLITS, BarLimits(), bar_us=MINUTE)
    assert out.high.tolist() == [93.0, 93.5]
    assert len(out.regular) == len(out.start_us) == 2
    assert prepared.check.by_reason == {"bad_ohlc": 1, IMPOSSIBLE_RANGE: 1}
    assert prepared.notes[0].startswith("AAPL: 2 impossible bar(s) left out (bad_ohlc 1, impossible_range 1")
