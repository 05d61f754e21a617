"""ATR equals TA-Lib's ATR on real SPY files, and the streaming form equals the batch form."""

from __future__ import annotations

import numpy as np
import pytest
import talib

from tests.unit.indicators.support import arrays_from_frame, assert_same, read_frame, to_bars
from theo.core.errors import ConfigError, DataError
from theo.indicators import ATR
from theo.indicators import batch as vec

FILES = [
    ("lean/SPY_1h_1998-01-02_2021-03-31.csv.gz", "1h"),
    ("lean/SPY_1d_1998-01-02_2021-03-31.csv.gz", "1d"),
    ("eqker/SPY_1d_2018-01-02_2019-02-15.csv.gz", "1d"),
]


@pytest.mark.parametrize(("rel", "tf"), FILES)
@pytest.mark.parametrize("period", [14, 1, 5, 50])
def test_batch_atr_equals_talib_on_real_spy_bars(rel: str, tf: str, period: int) -> None:
    df = read_frame(rel)
    h, lo, c = (df[k].to_numpy(float) for k in ("high", "low", "close"))
    ours = vec.atr(h, lo, c, period)
    ref = talib.ATR(h, lo, c, timeperiod=period)
    assert (np.isnan(ours) == np.isnan(ref)).all()
    assert np.isnan(ours[:period]).all()
    assert not np.isnan(ours[period:]).any()
    np.testing.assert_allclose(ours[period:], ref[period:], rtol=0, atol=1e-9)


@pytest.mark.parametrize(("rel", "tf"), FILES)
def test_streaming_atr_equals_talib_and_batch_on_every_bar(rel: str, tf: str) -> None:
    a = arrays_from_frame(read_frame(rel), "SPY", tf)
    ind = ATR(14)
    got: list[float | None] = []
    for bar in to_bars(a):
        ind.update(bar)
        got.append(ind.value)
    ref = talib.ATR(a.high, a.low, a.close, timeperiod=14)
    assert_same(got, ref, rtol=1e-12, what="stream vs TA-Lib")
    stream = np.array([np.nan if v is None else v for v in got])
    np.testing.assert_allclose(stream[14:], ref[14:], rtol=0, atol=1e-9)
    assert_same(got, ind.batch(a)["value"], rtol=1e-12, what="stream vs batch")


def test_atr_is_not_ready_until_period_plus_one_bars() -> None:
    a = arrays_from_frame(read_frame("eqker/SPY_1d_2018-01-02_2019-02-15.csv.gz"), "SPY", "1d")
    ind = ATR(3)
    bars = to_bars(a)
    for bar in bars[:3]:
        ind.update(bar)
        assert not ind.ready
        assert ind.value is None
        assert ind.values() == {"value": None}
    ind.update(bars[3])
    # TR of bars 1..3 by hand: max(H-L, |H-Cprev|, |L-Cprev|)
    tr1 = max(270.64 - 268.96, abs(270.64 - 268.77), abs(268.96 - 268.77))  # 1.87
    tr2 = max(272.16 - 270.5447, abs(272.16 - 270.47), abs(270.5447 - 270.47))  # 1.69
    tr3 = max(273.56 - 271.95, abs(273.56 - 271.61), abs(271.95 - 271.61))  # 1.95
    assert ind.ready
    assert ind.value == pytest.approx((tr1 + tr2 + tr3) / 3, abs=1e-12)
    assert ind.value == pytest.approx((1.87 + 1.69 + 1.95) / 3, abs=1e-9)


def test_atr_refuses_a_bad_period_and_a_repeated_bar() -> None:
    with pytest.raises(ConfigError, match="ATR period must be at least 1"):
        ATR(0)
    a = arrays_from_frame(read_frame("eqker/SPY_1d_2018-01-02_2019-02-15.csv.gz"), "SPY", "1d")
    bars = to_bars(a)
    ind = ATR(14)
    ind.update(bars[1])
    with pytest.raises(DataError, match="is not after the previous bar"):
        ind.update(bars[0])
    ind.reset()
    ind.update(bars[0])  # after a reset the series starts again
