"""Domain model: instruments, market records, money helpers, the enumerations of plan §4, the error tree."""

from __future__ import annotations

import inspect
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theo.core import errors
from theo.model import (
    Bar,
    Exchange,
    Instrument,
    InstrumentKind,
    OptionRight,
    OrderStatus,
    OrderType,
    ProductType,
    Quote,
    SessionKind,
    Side,
    SignalStatus,
    Tick,
    equity,
    index,
)
from theo.model.money import cents, is_on_tick, round_to_tick, to_decimal

T = datetime(2026, 3, 9, 13, 30, tzinfo=UTC)


# -- instruments -------------------------------------------------------------------------------------------
def test_equity_defaults() -> None:
    spy = equity("SPY", kind=InstrumentKind.ETF)
    assert (spy.tick_size, spy.multiplier, spy.contract_size, spy.calendar) == (Decimal("0.01"), 1, 1, "XNYS")
    assert spy.tradable
    assert spy.price_on_tick(Decimal("512.37"))
    assert not spy.price_on_tick(Decimal("512.375"))
    assert spy.quantity_on_lot(Decimal(3))
    assert not spy.quantity_on_lot(Decimal(0))


def test_index_is_data_only() -> None:
    vix = index("VIX")
    assert vix.kind is InstrumentKind.INDEX
    assert vix.exchange is Exchange.CBOE
    assert not vix.tradable  # market-rules.md §5.2


def test_future_needs_expiry_and_checks_its_tick() -> None:
    mes = Instrument("MESZ6", InstrumentKind.FUTURE, Exchange.CME, tick_size=Decimal("0.25"),
                     multiplier=Decimal(5), calendar="CME_EQUITY", expiry=date(2026, 12, 18), underlying="MES")
    assert mes.price_on_tick(Decimal("6000.75"))
    assert not mes.price_on_tick(Decimal("6000.10"))
    with pytest.raises(ValueError, match="MESZ6: a future needs an expiry date"):
        Instrument("MESZ6", InstrumentKind.FUTURE, Exchange.CME)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"symbol": " "}, "symbol must not be empty"),
    ({"tick_size": Decimal(0)}, "tick_size=0 must be > 0"),
    ({"multiplier": Decimal(-1)}, "multiplier=-1 must be > 0"),
    ({"contract_size": 0}, "contract_size=0 must be >= 1"),
])
def test_instrument_validation(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"symbol": "AAPL", "kind": InstrumentKind.STOCK, **kwargs}
    with pytest.raises(ValueError, match=message):
        Instrument(**args)  # type: ignore[arg-type]


def test_option_needs_strike_and_right() -> None:
    with pytest.raises(ValueError, match="needs a strike and a right"):
        Instrument("SPY 261218C00600000", InstrumentKind.OPTION, expiry=date(2026, 12, 18), strike=Decimal(600))
    opt = Instrument("SPY 261218C00600000", InstrumentKind.OPTION, expiry=date(2026, 12, 18),
                     strike=Decimal(600), right=OptionRight.CALL, multiplier=Decimal(100))
    assert opt.multiplier == 100


def test_instrument_is_frozen_and_description_does_not_affect_equality() -> None:
    a = Instrument("AAPL", InstrumentKind.STOCK, description="Apple")
    assert a == Instrument("AAPL", InstrumentKind.STOCK)
    with pytest.raises(AttributeError):
        a.symbol = "MSFT"  # type: ignore[misc]


# -- market records ----------------------------------------------------------------------------------------
def test_tick_refuses_naive_and_normalises_offsets_to_utc() -> None:
    with pytest.raises(ValueError, match=r"Tick SPY\.ts 2026-03-09T09:30:00 has no timezone"):
        Tick("SPY", datetime(2026, 3, 9, 9, 30), 500.0, 100.0)
    tick = Tick("SPY", datetime(2026, 3, 9, 9, 30, tzinfo=timezone(timedelta(hours=-4))), 500.0, 100.0)
    assert tick.ts == T
    assert tick.ts.tzinfo is UTC
    with pytest.raises(ValueError, match="received"):
        Tick("SPY", T, 500.0, 1.0, received=datetime(2026, 3, 9))


def test_quote_mid() -> None:
    q = Quote("SPY", T, 500.0, 3.0, 500.02, 4.0)
    assert q.mid == pytest.approx(500.01)


def test_bar_validates_its_interval() -> None:
    bar = Bar("SPY", "5m", T, T + timedelta(minutes=5), 1.0, 2.0, 0.5, 1.5, 1000.0, 10)
    assert bar.session is SessionKind.REGULAR
    assert not bar.empty
    empty = Bar("SPY", "5m", T, T + timedelta(minutes=5), 1.5, 1.5, 1.5, 1.5, 0.0, 0, flags=frozenset({"no_ticks"}))
    assert empty.empty
    with pytest.raises(ValueError, match="must be after start"):
        Bar("SPY", "5m", T, T, 1.0, 1.0, 1.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="no timezone"):
        Bar("SPY", "5m", datetime(2026, 1, 1), T, 1.0, 1.0, 1.0, 1.0, 0.0)


# -- money ---------------------------------------------------------------------------------------------------
def test_to_decimal_goes_through_str_and_refuses_non_finite() -> None:
    assert to_decimal(0.1) == Decimal("0.1")
    assert to_decimal("12.50") == Decimal("12.50")
    with pytest.raises(ValueError, match="price=nan is not finite"):
        to_decimal(float("nan"), field="price")
    with pytest.raises(ValueError, match="qty='abc' is not a number"):
        to_decimal("abc", field="qty")


def test_round_to_tick_keeps_the_tick_exponent() -> None:
    assert str(round_to_tick(Decimal("100.004"), Decimal("0.01"))) == "100.00"
    assert round_to_tick(Decimal("6000.13"), Decimal("0.25")) == Decimal("6000.25")
    assert round_to_tick(Decimal("0.125"), Decimal("0.01")) == Decimal("0.12")  # half-even
    with pytest.raises(ValueError, match="tick_size=0"):
        round_to_tick(Decimal(1), Decimal(0))


@settings(deadline=None)
@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=4),
       st.sampled_from([Decimal("0.01"), Decimal("0.05"), Decimal("0.25"), Decimal("1")]))
def test_round_to_tick_lands_on_the_tick_within_half_a_tick(price: Decimal, tick: Decimal) -> None:
    rounded = round_to_tick(price, tick)
    assert is_on_tick(rounded, tick)
    assert abs(rounded - price) <= tick / 2


def test_cents_rounds_half_even() -> None:
    assert cents(Decimal("1.005")) == Decimal("1.00")
    assert cents(Decimal("1.015")) == Decimal("1.02")


# -- enumerations of plan §4 -----------------------------------------------------------------------------
def test_plan_section_4_enumerations() -> None:
    assert {"NYSE", "NASDAQ", "CBOE", "SMART"} <= {e.value for e in Exchange}
    assert {e.value for e in OrderType} == {"STOP", "STOP_LIMIT", "MARKET", "LIMIT", "TRAILING_STOP"}
    assert {e.value for e in ProductType} == {"MARGIN", "CASH"}
    assert {e.value for e in Side} == {"BUY", "SELL"}
    assert {e.value for e in SignalStatus} == {"PENDING", "VALIDATED", "EXECUTED", "CANCELLED", "FAILED"}
    assert "UNKNOWN" in {e.value for e in OrderStatus}


def test_side_sign_and_opposite() -> None:
    assert (Side.BUY.sign, Side.SELL.sign) == (1, -1)
    assert Side.BUY.opposite is Side.SELL
    assert Side.SELL.opposite is Side.BUY


# -- the error tree --------------------------------------------------------------------------------------------
def test_every_error_derives_from_theo_error_and_says_how_the_system_reacts() -> None:
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, Exception)]
    assert len(classes) >= 16
    for cls in classes:
        assert cls.__name__ in (errors.__doc__ or ""), f"{cls.__name__} missing from the tree in the docstring"
        assert issubclass(cls, errors.TheoError)
        assert cls.__doc__
        if cls is not errors.TheoError:
            assert "Reaction:" in cls.__doc__, cls.__name__


def test_error_hierarchy() -> None:
    assert issubclass(errors.ImportFileError, errors.DataError)
    assert issubclass(errors.QualityRejection, errors.DataError)
    assert issubclass(errors.SingleWriterLockError, errors.StorageError)
    assert issubclass(errors.RuleSyntaxError, errors.StrategyError)
    for cls in (errors.OrderValidationError, errors.IllegalTransition, errors.RiskDenied):
        assert issubclass(cls, errors.OrderError)


def test_structured_errors_keep_their_fields() -> None:
    q = errors.QualityRejection("price_outlier", "SPY 5000 vs 500")
    assert (q.reason, q.detail, str(q)) == ("price_outlier", "SPY 5000 vs 500", "price_outlier: SPY 5000 vs 500")
    r = errors.RiskDenied("max_position", "would exceed 10 %")
    assert (r.rule, r.reason, str(r)) == ("max_position", "would exceed 10 %", "max_position: would exceed 10 %")
    s = errors.RuleSyntaxError("rsi > > 30", 6, "unexpected '>'")
    assert str(s) == "unexpected '>' at position 6\n  rsi > > 30\n        ^"
