"""SignalGeneration rules (plan §4) with readable errors."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theo.core.errors import OrderValidationError
from theo.model.enums import OrderType, Side
from theo.strategy.scanner.records import SignalRecord, validate_record

TS = datetime(2019, 2, 12, 15, 0, tzinfo=UTC)


def record(**kw: Any) -> SignalRecord:
    base = SignalRecord(strategy="s", symbol="SPY", side=Side.BUY, created_at=TS, bar_ts=TS - timedelta(minutes=5),
                        timeframe="5m", quantity=100, contract_size=1, entry_price=Decimal(100),
                        stop_loss=Decimal(99), take_profit=Decimal(102))
    return replace(base, **kw)


def test_a_valid_record_passes() -> None:
    r = record()
    assert validate_record(r) is r
    assert r.key == ("s", "SPY", "BUY", TS - timedelta(minutes=5))


@pytest.mark.parametrize(
    ("kw", "fragment"),
    [
        ({"contract_size": 0}, "contract_size 0 must be positive"),
        ({"quantity": 0}, "quantity 0 must be positive"),
        ({"quantity": 150, "contract_size": 100}, "quantity 150 must be a multiple of the contract size 100"),
        ({"entry_price": Decimal(0)}, "entry_price 0 must be a positive number"),
        ({"stop_loss": Decimal(-1)}, "stop_loss -1 must be a positive number"),
        ({"take_profit": Decimal("NaN")}, "take_profit NaN must be a positive number"),
        ({"order_type": OrderType.LIMIT, "entry_price": None}, "entry_price is required for LIMIT orders"),
        ({"order_type": OrderType.STOP_LIMIT, "entry_price": None}, "required for STOP_LIMIT"),
        ({"stop_loss": Decimal(100)}, "stop_loss 100 must be below entry_price 100 for BUY"),
        ({"take_profit": Decimal("99.5")}, "take_profit 99.5 must be above entry_price 100 for BUY"),
        ({"side": Side.SELL}, "stop_loss 99 must be above entry_price 100 for SELL"),
        ({"side": Side.SELL, "stop_loss": Decimal(101)}, "take_profit 102 must be below entry_price 100 for SELL"),
        ({"mode": "paper"}, "mode 'paper' must be one of live, virtual"),
        ({"created_at": datetime(2019, 2, 12, 15, 0)}, "created_at 2019-02-12T15:00:00 has no timezone"),
        ({"expires_at": TS - timedelta(seconds=1)}, "is before created_at"),
    ],
)
def test_violations_name_field_value_and_rule(kw: dict[str, Any], fragment: str) -> None:
    with pytest.raises(OrderValidationError) as info:
        validate_record(record(**kw))
    assert fragment in str(info.value)
    assert str(info.value).startswith("signal s/SPY ")


def test_market_orders_need_no_entry_price_and_then_skip_the_side_checks() -> None:
    validate_record(record(entry_price=None, order_type=OrderType.MARKET))


@settings(max_examples=200, deadline=None)
@given(entry=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10_000), places=2),
       stop=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(10_000), places=2),
       side=st.sampled_from([Side.BUY, Side.SELL]))
def test_stop_side_rule_matches_its_definition(entry: Decimal, stop: Decimal, side: Side) -> None:
    r = record(side=side, entry_price=entry, stop_loss=stop, take_profit=None)
    ok = stop < entry if side is Side.BUY else stop > entry
    if ok:
        validate_record(r)
    else:
        with pytest.raises(OrderValidationError):
            validate_record(r)


def test_an_expired_option_series_is_refused() -> None:
    r = replace(record(), option_right="CALL", option_strike=Decimal("275"), option_expiry=date(2019, 2, 8))
    with pytest.raises(OrderValidationError, match=r"option_expiry 2019-02-08 is before the signal's day 2019-02-12"):
        validate_record(r)
