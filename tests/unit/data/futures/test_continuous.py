"""Continuous ES series on the real ESZ13 / ESH14 one-minute files (2013-10-06 .. 10-11)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from tests.conftest import shared_file
from theo.core.errors import DataError
from theo.core.time import to_us
from theo.data.futures import Contract, parse_symbol
from theo.data.futures.bars import ContractBars, read_contract_bars
from theo.data.futures.continuous import CalendarRoll, VolumeRoll, build_continuous

ROLL_DAY = date(2013, 10, 9)  # forced: session from Tue 2013-10-08 18:00 ET (22:00 UTC)


@pytest.fixture(scope="module")
def chain() -> list[ContractBars]:
    z = read_contract_bars(shared_file("lean/ES_ESZ13_1min_2013-10-06_2013-10-11.csv.gz"), parse_symbol("ESZ13"))
    h = read_contract_bars(shared_file("lean/ES_ESH14_1min_2013-10-06_2013-10-11.csv.gz"), parse_symbol("ESH14"))
    return [z, h]


def test_files_are_read_whole(chain: list[ContractBars]) -> None:
    z, h = chain
    assert (len(z), len(h)) == (6826, 1689)
    assert (z.rejected, h.rejected) == ((), ())
    # First ESH14 bar: Sunday 2013-10-06 18:00 ET, close 1668.0.
    assert z.start_us[0] == h.start_us[0] == to_us(datetime(2013, 10, 6, 22, 0, tzinfo=UTC))
    assert h.close[0] == 1668.0


def test_volume_rule_keeps_the_front_month(chain: list[ContractBars]) -> None:
    series = build_continuous(chain, VolumeRoll())
    assert series.rolls == ()
    assert [c.symbol for c in series.contracts] == ["ESZ13"]
    assert len(series) == len(chain[0])
    np.testing.assert_array_equal(series.close, chain[0].close)  # nothing adjusted
    assert series.contract_at(datetime(2013, 10, 11, 20, 0, tzinfo=UTC)).symbol == "ESZ13"


def test_volume_crossover_rolls_the_day_after(chain: list[ContractBars]) -> None:
    z, h = chain
    # Give ESH14 ten times ESZ13's volume from Wed 10-09 on: the crossover day is 10-09, the roll 10-10.
    days = h.trading_days()
    boosted = np.where(days >= np.datetime64("2013-10-09"), h.volume * 10_000, h.volume)
    loud = ContractBars(h.contract, h.start_us, h.open, h.high, h.low, h.close, boosted)
    series = build_continuous([z, loud], VolumeRoll())
    assert len(series.rolls) == 1
    assert series.rolls[0].roll_day == date(2013, 10, 10)
    assert series.rolls[0].rule == "volume"


def _roll_index(series_start: np.ndarray, ts: datetime) -> int:
    return int(np.searchsorted(series_start, to_us(ts)))


def test_forced_calendar_roll_by_difference(chain: list[ContractBars]) -> None:
    z, h = chain
    series = build_continuous(chain, CalendarRoll(dates={"ESZ13": ROLL_DAY}), "difference")
    (ev,) = series.rolls
    assert (ev.from_symbol, ev.to_symbol, ev.roll_day) == ("ESZ13", "ESH14", ROLL_DAY)
    # The roll bar: first bar of the 10-09 session where both traded (18:00 ET on 10-08).
    assert ev.ts == datetime(2013, 10, 8, 22, 0, tzinfo=UTC)
    iz = int(np.searchsorted(z.start_us, to_us(ev.ts)))
    ih = int(np.searchsorted(h.start_us, to_us(ev.ts)))
    assert (ev.from_price, ev.to_price) == (z.close[iz], h.close[ih]) == (1648.5, 1641.5)
    assert ev.difference == -7.0
    i = _roll_index(series.start_us, ev.ts)
    # No jump: the adjusted roll bar closes where the new contract closed.
    assert series.close[i] == h.close[ih]
    assert series.close[i + 1] == h.close[ih + 1]
    assert series.contract_of_bar(i).symbol == "ESZ13"
    assert series.contract_of_bar(i + 1).symbol == "ESH14"
    # Pre-roll history shifts by exactly the difference; post-roll bars are the raw new contract.
    np.testing.assert_array_equal(series.close[: i + 1], z.close[: iz + 1] + ev.difference)
    np.testing.assert_array_equal(series.open[: i + 1], z.open[: iz + 1] + ev.difference)
    np.testing.assert_array_equal(series.close[i + 1:], h.close[ih + 1:])
    assert len(series) == iz + 1 + len(h) - ih - 1


def test_forced_calendar_roll_by_ratio(chain: list[ContractBars]) -> None:
    z, _h = chain
    series = build_continuous(chain, CalendarRoll(dates={"ESZ13": ROLL_DAY}), "ratio")
    (ev,) = series.rolls
    assert ev.ratio == pytest.approx(1641.5 / 1648.5, rel=1e-15)
    i = _roll_index(series.start_us, ev.ts)
    iz = int(np.searchsorted(z.start_us, to_us(ev.ts)))
    assert series.close[i] == pytest.approx(1641.5, rel=1e-14)
    np.testing.assert_allclose(series.high[: i + 1], z.high[: iz + 1] * ev.ratio, rtol=1e-15)
    # Ratios of pre-roll closes (returns) are preserved exactly up to rounding.
    np.testing.assert_allclose(series.close[1: i + 1] / series.close[:i], z.close[1: iz + 1] / z.close[:iz],
                               rtol=1e-14)


def test_actual_contract_for_orders_after_the_roll(chain: list[ContractBars]) -> None:
    series = build_continuous(chain, CalendarRoll(dates={"ESZ13": ROLL_DAY}))
    roll_ts = series.rolls[0].ts
    assert series.contract_at(roll_ts).symbol == "ESZ13"
    after = series.contract_at(roll_ts + timedelta(minutes=1))
    assert after == Contract(2014, 3, "ES")
    assert after.instrument().expiry == date(2014, 3, 21)
    inst = series.instrument_at(roll_ts + timedelta(minutes=1))
    assert inst.symbol == "ESH14"
    assert inst.multiplier == 50
    bars = series.bars("1m")
    assert bars[-1].symbol == "ES_CONT"
    assert "contract=ESH14" in bars[-1].flags
    assert "roll" in bars[_roll_index(series.start_us, roll_ts)].flags


def test_cme_convention_roll_lies_after_this_data(chain: list[ContractBars]) -> None:
    # ESZ13 rolls Thu 2013-12-12: beyond the October files, so the series is all ESZ13.
    series = build_continuous(chain, CalendarRoll())
    assert series.rolls == ()
    assert parse_symbol("ESZ13").roll_date() == date(2013, 12, 12)


def test_mixed_roots_and_duplicates_are_refused(chain: list[ContractBars]) -> None:
    z, _ = chain
    mes = ContractBars(Contract(2013, 12, "MES"), z.start_us, z.open, z.high, z.low, z.close, z.volume)
    with pytest.raises(DataError, match="different roots"):
        build_continuous([z, mes], CalendarRoll())
    with pytest.raises(DataError, match="given twice"):
        build_continuous([z, z], CalendarRoll())
    with pytest.raises(DataError, match="no contract bars"):
        build_continuous([], CalendarRoll())
