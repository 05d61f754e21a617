"""Trade planning: shares from risk, stop adjustment, targets; sizing never exceeds the configured risk."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theo.core.errors import RiskDenied
from theo.model.enums import Exchange, InstrumentKind, Side
from theo.model.instruments import Instrument, equity
from theo.model.signals import Signal
from theo.risk.checks import size_from_risk
from theo.risk.config import Limits
from theo.risk.sizing import plan

D = Decimal
TS = datetime(2019, 2, 12, 15, 0, tzinfo=UTC)
SPY = equity("SPY")


def sig(price: float, side: Side = Side.BUY, stop: float | None = None, target: float | None = None) -> Signal:
    return Signal("s", "SPY", side, TS, price, stop_loss=stop, take_profit=target)


def test_shares_from_risk_round_down_to_the_contract_size() -> None:
    assert size_from_risk(D(1000), D(100), D(98)) == D(500)
    assert size_from_risk(D(1000), D(100), D(97)) == D(333)
    assert size_from_risk(D(1000), D("2.00"), D("1.50"), D(100), 100) == D(0)  # one option lot risks 5,000
    assert size_from_risk(D(10000), D("2.00"), D("1.50"), D(100), 1) == D(200)


def test_plan_uses_the_signal_stop_and_derives_the_target() -> None:
    p = plan(sig(270.0, stop=268.0), SPY, Limits(), D(100_000), D(0))
    assert (p.quantity, p.entry, p.stop, p.target, p.risk) == (D(500), D("270.00"), D("268.00"), D("274.00"),
                                                                D("1000.00"))
    assert p.total_risk_pct == D(1)


def test_stop_too_far_is_pulled_in_and_too_near_pushed_out() -> None:
    p = plan(sig(100.0, stop=90.0), SPY, Limits(max_stop_pct=D(5)), D(100_000), D(0))
    assert p.stop == D("95.00")
    assert "max_stop_pct" in p.stop_note
    p = plan(sig(100.0, Side.SELL, stop=100.01), SPY, Limits(min_stop_ticks=3), D(100_000), D(0))
    assert p.stop == D("100.03")
    assert "min_stop_ticks" in p.stop_note


def test_wrong_side_levels_are_denied_with_the_rule() -> None:
    with pytest.raises(RiskDenied) as info:
        plan(sig(100.0, stop=101.0), SPY, Limits(), D(100_000), D(0))
    assert info.value.rule == "STOP_LOSS"
    assert "below the entry" in info.value.reason
    with pytest.raises(RiskDenied) as info:
        plan(sig(100.0, stop=99.0, target=100.5), SPY, Limits(), D(100_000), D(0))
    assert info.value.rule == "PROFIT_TARGET"
    assert "reward/risk 0.50" in info.value.reason


def test_no_lot_fits_is_a_position_size_denial() -> None:
    with pytest.raises(RiskDenied) as info:
        plan(sig(100.0, stop=99.0), SPY, Limits(), D(100_000), D(5000))  # no open-risk room left
    assert info.value.rule == "POSITION_SIZE"


@settings(max_examples=300, deadline=None)
@given(price=st.decimals(min_value=D("1.00"), max_value=D("2000"), places=2),
       stop_pct=st.decimals(min_value=D("0.1"), max_value=D("20"), places=2),
       equity_=st.decimals(min_value=D(1000), max_value=D(10_000_000), places=2),
       risk_pct=st.decimals(min_value=D("0.05"), max_value=D(5), places=2),
       total_pct=st.decimals(min_value=D("0.1"), max_value=D(20), places=2),
       open_frac=st.decimals(min_value=D(0), max_value=D(1), places=3),
       side=st.sampled_from([Side.BUY, Side.SELL]), lot=st.sampled_from([1, 100]))
def test_sizing_never_exceeds_the_configured_risk(price: Decimal, stop_pct: Decimal, equity_: Decimal,
                                                  risk_pct: Decimal, total_pct: Decimal, open_frac: Decimal,
                                                  side: Side, lot: int) -> None:
    inst = SPY if lot == 1 else Instrument("XYZ", InstrumentKind.STOCK, Exchange.SMART, contract_size=lot)
    stop = float(price * (1 - side.sign * stop_pct / 100))
    lim = Limits(account_risk_pct=risk_pct, max_total_risk_pct=max(total_pct, risk_pct), max_stop_pct=D(50),
                 min_reward_risk=D(0))
    open_risk = equity_ * lim.max_total_risk_pct / 100 * open_frac
    try:
        p = plan(sig(float(price), side, stop=stop), inst, lim, equity_, open_risk)
    except RiskDenied as exc:
        rule = exc.rule
        assert rule in ("POSITION_SIZE", "STOP_LOSS")  # a property: either sized or refused
        return
    assert p.quantity > 0
    assert p.quantity % lot == 0
    assert p.risk == p.quantity * abs(p.entry - p.stop) * inst.multiplier
    assert p.risk <= equity_ * risk_pct / 100
    assert open_risk + p.risk <= equity_ * lim.max_total_risk_pct / 100
    assert (p.entry - p.stop) * side.sign > 0
