"""Contract specs, expiries and roll dates against market-rules.md §5.1."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theo.core.calendar import get_calendar
from theo.core.errors import ConfigError, DataError
from theo.data.futures import (
    Contract,
    contracts,
    front_contract,
    get_spec,
    last_trade_date,
    parse_symbol,
    roll_date,
    third_friday,
)
from theo.model.enums import Exchange, InstrumentKind


def test_mes_and_es_specs_follow_the_contract_sheet() -> None:
    mes, es = get_spec("MES"), get_spec("es")
    assert (mes.multiplier, mes.tick_size, mes.tick_value) == (Decimal(5), Decimal("0.25"), Decimal("1.25"))
    assert (es.multiplier, es.tick_size, es.tick_value) == (Decimal(50), Decimal("0.25"), Decimal("12.50"))
    assert mes.months == ("H", "M", "U", "Z")


def test_unknown_root_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="known roots: ES, MES"):
        get_spec("NQ")


def test_non_listed_month_is_refused() -> None:
    with pytest.raises(ConfigError, match="no contract in month 1"):
        last_trade_date("MES", 2026, 1)


@pytest.mark.parametrize(("year", "month", "expiry", "roll"), [
    (2026, 12, date(2026, 12, 18), date(2026, 12, 10)),
    (2027, 3, date(2027, 3, 19), date(2027, 3, 11)),
    (2027, 6, date(2027, 6, 17), date(2027, 6, 10)),  # Juneteenth on the 3rd Friday
    (2027, 9, date(2027, 9, 17), date(2027, 9, 9)),
    (2027, 12, date(2027, 12, 17), date(2027, 12, 9)),
    (2026, 6, date(2026, 6, 18), date(2026, 6, 11)),  # Juneteenth 2026
])
def test_market_rules_table_of_expiries_and_rolls(year: int, month: int, expiry: date, roll: date) -> None:
    assert last_trade_date("MES", year, month) == expiry
    assert roll_date("MES", year, month) == roll
    assert roll.weekday() == 3  # a Thursday


def test_good_friday_2008_moves_the_expiry_to_thursday() -> None:
    assert third_friday(2008, 3) == date(2008, 3, 21)
    assert last_trade_date("ES", 2008, 3) == date(2008, 3, 20)


def test_es_2013_contracts_of_the_shared_data() -> None:
    assert parse_symbol("ESZ13").expiry() == date(2013, 12, 20)
    assert parse_symbol("ESH14").expiry() == date(2014, 3, 21)


def test_business_day_roll_counts_sessions_before_expiry() -> None:
    # Dec 2026 expiry Fri 12-18; 5 sessions before it: 12-11 (Fri) .. 12-17 (Thu).
    assert roll_date("MES", 2026, 12, business_days=5) == date(2026, 12, 11)
    assert roll_date("MES", 2026, 12, business_days=1) == date(2026, 12, 17)
    with pytest.raises(ConfigError, match="business_days=0"):
        roll_date("MES", 2026, 12, business_days=0)


def test_local_symbols_and_instrument() -> None:
    c = Contract(2026, 12, "MES")
    assert (c.local_symbol, c.symbol, c.contract_month) == ("MESZ6", "MESZ26", "202612")
    inst = c.instrument()
    assert inst.kind is InstrumentKind.FUTURE
    assert inst.exchange is Exchange.CME
    assert inst.calendar == "CME_EQUITY"
    assert inst.expiry == date(2026, 12, 18)
    assert (inst.multiplier, inst.tick_size) == (Decimal(5), Decimal("0.25"))
    assert inst.price_on_tick(Decimal("6000.25"))
    assert not inst.price_on_tick(Decimal("6000.10"))


def test_parse_symbol_forms() -> None:
    assert parse_symbol("MESZ6", today=date(2026, 11, 24)) == Contract(2026, 12, "MES")
    assert parse_symbol("mesh27") == Contract(2027, 3, "MES")
    assert parse_symbol("ESZ13") == Contract(2013, 12, "ES")
    with pytest.raises(DataError, match="cannot read futures symbol 'SPY'"):
        parse_symbol("SPY")


def test_contract_chain_and_front_month() -> None:
    assert [c.local_symbol for c in contracts("MES", 2027)] == ["MESH7", "MESM7", "MESU7", "MESZ7"]
    assert Contract(2026, 12, "MES").next() == Contract(2027, 3, "MES")
    assert front_contract("MES", date(2026, 12, 9)) == Contract(2026, 12, "MES")
    assert front_contract("MES", date(2026, 12, 10)) == Contract(2027, 3, "MES")


@settings(max_examples=60, deadline=None)
@given(year=st.integers(1991, 2029), quarter=st.sampled_from([3, 6, 9, 12]))
def test_expiry_is_the_last_session_on_or_before_the_third_friday(year: int, quarter: int) -> None:
    cal = get_calendar("XNYS")
    friday = third_friday(year, quarter)
    expiry = last_trade_date("ES", year, quarter)
    assert friday.weekday() == 4
    assert 15 <= friday.day <= 21
    assert cal.is_session(expiry)
    assert expiry <= friday
    assert all(not cal.is_session(expiry + timedelta(days=k)) for k in range(1, (friday - expiry).days + 1))
    assert roll_date("ES", year, quarter) < expiry
