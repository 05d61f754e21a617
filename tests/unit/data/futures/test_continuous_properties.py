"""Properties of back-adjustment on generated contract pairs (any prices, any overlap)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from theo.core.time import to_us
from theo.data.futures import Contract
from theo.data.futures.bars import ContractBars
from theo.data.futures.continuous import CalendarRoll, build_continuous

STEP = 30 * 60_000_000  # half-hour bars keep the generated input small
# Session of Wed 2013-10-09 opens Tue 18:00 ET = 22:00 UTC; bars run Mon 18:00 ET .. Wed evening.
FIRST = to_us(datetime(2013, 10, 6, 22, 0, tzinfo=UTC))
SWITCH = to_us(datetime(2013, 10, 8, 22, 0, tzinfo=UTC))
N = (SWITCH - FIRST) // STEP + 20


def _bars(contract: Contract, start_us: np.ndarray, ticks: np.ndarray) -> ContractBars:
    close = 1000.0 + 0.25 * np.cumsum(ticks)
    return ContractBars(contract, start_us.astype(np.int64), close, close + 0.25, close - 0.25, close,
                        np.ones(len(close)))


@settings(max_examples=40, deadline=None)
@given(data=st.data(), method=st.sampled_from(["difference", "ratio"]))
def test_adjusted_history_joins_the_next_contract_without_a_jump(data: st.DataObject, method: str) -> None:
    minutes = np.arange(N, dtype=np.int64) * STEP + FIRST
    front_ticks = np.array(data.draw(st.lists(st.integers(-8, 8), min_size=N, max_size=N)))
    keep = np.array(data.draw(st.lists(st.booleans(), min_size=N, max_size=N)))
    keep[-1] = True  # at least one shared bar after the switch
    next_ticks = np.array(data.draw(st.lists(st.integers(-8, 8), min_size=int(keep.sum()),
                                             max_size=int(keep.sum()))))
    front = _bars(Contract(2013, 12, "ES"), minutes, front_ticks)
    nxt = _bars(Contract(2014, 3, "ES"), minutes[keep], next_ticks - 40)
    rule = CalendarRoll(dates={"ESZ13": date(2013, 10, 9)})
    series = build_continuous([nxt, front], rule, "ratio" if method == "ratio" else "difference")
    (ev,) = series.rolls
    roll_us = to_us(ev.ts)
    assert roll_us >= SWITCH
    assert roll_us == int(minutes[keep][np.searchsorted(minutes[keep], SWITCH)])
    i = int(np.searchsorted(series.start_us, roll_us))
    iz = int(np.searchsorted(front.start_us, roll_us))
    ih = int(np.searchsorted(nxt.start_us, roll_us))
    assert len(series) == iz + 1 + len(nxt) - ih - 1
    np.testing.assert_array_equal(series.close[i + 1:], nxt.close[ih + 1:])
    if method == "difference":
        assert series.close[i] == nxt.close[ih]
        np.testing.assert_array_equal(series.close[: i + 1], front.close[: iz + 1] + ev.difference)
        np.testing.assert_array_equal(np.diff(series.close[: i + 1]), np.diff(front.close[: iz + 1]))
    else:
        np.testing.assert_allclose(series.close[i], nxt.close[ih], rtol=1e-13)
        np.testing.assert_allclose(series.close[: i + 1] / front.close[: iz + 1], ev.ratio, rtol=1e-13)
    assert all(series.contract_of_bar(k).symbol == "ESZ13" for k in (0, i))
    assert series.contract_of_bar(len(series) - 1).symbol == "ESH14" or i == len(series) - 1
