"""Trade planning: the sizing policy, stop adjustment, targets, then the caps that lower (never refuse) a quantity."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theo.core.errors import RiskDenied
from theo.model.enums import Exchange, InstrumentKind, Side
from theo.model.instruments import Instrument, equity
from theo.model.signals import Signal
from theo.risk.account import snapshot
from theo.risk.checks import size_from_risk
from theo.risk.config import Limits, MarginSettings, TradeRules
from theo.risk.margin import MarginModel
from theo.risk.sizing import MarginContext, TradePlan, plan
from theo.strategy.settings import FixedQuantity, RiskPercent

D = Decimal
TS = datetime(2019, 2, 12, 15, 0, tzinfo=UTC)
SPY = equity("SPY")
AAPL = equity("AAPL")
MARGIN = MarginModel(MarginSettings())


def sig(price: float, side: Side = Side.BUY, stop: float | None = None, target: float | None = None,
        symbol: str = "SPY") -> Signal:
    return Signal("s", symbol, side, TS, price, stop_loss=stop, take_profit=target)


def make_plan(signal: Signal, *, lim: Limits | None = None, rules: TradeRules | None = None,
              policy: FixedQuantity | RiskPercent | None = None, eq: Decimal = D(100_000), open_risk: Decimal = D(0),
              positions: Mapping[str, Decimal] | None = None, marks: Mapping[str, Decimal] | None = None,
              inst: Instrument = SPY, **account: object) -> TradePlan:
    insts = {"SPY": SPY, "AAPL": AAPL, inst.symbol: inst}
    held = {k: v for k, v in (positions or {}).items() if v}
    acct = snapshot(eq, open_risk, held, marks or {}, insts, MARGIN)
    ctx = MarginContext(**account)  # type: ignore[arg-type]
    return plan(signal, inst, lim or Limits(), rules or TradeRules(), policy or RiskPercent(), acct, ctx, MARGIN,
                D(str(signal.price)))


def test_shares_from_risk_round_down_to_the_contract_size() -> None:
    assert size_from_risk(D(1000), D(100), D(98)) == D(500)
    assert size_from_risk(D(1000), D(100), D(97)) == D(333)
    assert size_from_risk(D(1000), D("2.00"), D("1.50"), D(100), 100) == D(0)  # one option lot risks 5,000
    assert size_from_risk(D(10000), D("2.00"), D("1.50"), D(100), 1) == D(200)


def test_plan_uses_the_signal_stop_and_derives_the_target() -> None:
    p = make_plan(sig(270.0, stop=268.0))
    assert (p.quantity, p.entry, p.stop, p.target, p.risk) == (D(500), D("270.00"), D("268.00"), D("274.00"),
                                                                D("1000.00"))
    assert (p.requested_qty, p.budget, p.notes) == (D(500), D(1000), ())
    assert p.total_risk_pct == D(1)


def test_without_signal_levels_the_defaults_apply_unless_only_the_signal_may_set_them() -> None:
    p = make_plan(sig(270.0))  # default_stop_pct 1 %, default_target_r 2
    assert (p.stop, p.target, p.quantity) == (D("267.30"), D("275.40"), D(370))  # 1,000 / 2.70 = 370.4
    short = make_plan(sig(270.0, Side.SELL))
    assert (short.stop, short.target) == (D("272.70"), D("264.60"))
    bare = make_plan(sig(270.0), rules=TradeRules(protective_stop="signal", profit_target="signal"))
    assert (bare.stop, bare.target) == (None, None)
    assert bare.risk_per_unit == D("2.70")  # still sized on the nominal default stop
    own = make_plan(sig(270.0, stop=268.0, target=275.0), rules=TradeRules(protective_stop="signal",
                                                                           profit_target="signal"))
    assert (own.stop, own.target) == (D("268.00"), D("275.00"))


def test_a_fixed_quantity_is_traded_as_configured() -> None:
    p = make_plan(sig(270.0, stop=268.0), policy=FixedQuantity(quantity=D(37)))
    assert (p.quantity, p.requested_qty, p.budget, p.risk, p.notes) == (D(37), D(37), D(0), D("74.00"), ())
    lots = Instrument("XYZ", InstrumentKind.STOCK, Exchange.SMART, contract_size=100)
    assert make_plan(sig(50.0, stop=49.0, symbol="XYZ"), policy=FixedQuantity(quantity=D(250)),
                     inst=lots).quantity == D(200)  # whole lots
    with pytest.raises(RiskDenied) as info:
        make_plan(sig(50.0, stop=49.0, symbol="XYZ"), policy=FixedQuantity(quantity=D(50)), inst=lots)
    assert info.value.rule == "POSITION_SIZE"
    assert "less than one lot of 100" in info.value.reason


def test_stop_too_far_is_pulled_in_and_too_near_pushed_out() -> None:
    p = make_plan(sig(100.0, stop=90.0), lim=Limits(max_stop_pct=D(5)))
    assert p.stop == D("95.00")
    assert p.notes == ("stop 90.00 moved to 95.00: farther than max_stop_pct=5%",)
    p = make_plan(sig(100.0, Side.SELL, stop=100.01), lim=Limits(min_stop_ticks=3))
    assert p.stop == D("100.03")
    assert "min_stop_ticks=3" in p.notes[0]


def test_wrong_side_levels_are_denied_with_the_rule() -> None:
    with pytest.raises(RiskDenied) as info:
        make_plan(sig(100.0, stop=101.0))
    assert info.value.rule == "STOP_LOSS"
    assert "below the entry" in info.value.reason
    with pytest.raises(RiskDenied) as info:
        make_plan(sig(100.0, stop=99.0, target=100.5))
    assert info.value.rule == "PROFIT_TARGET"
    assert "reward/risk 0.50" in info.value.reason


def test_a_fixed_quantity_above_the_position_limit_is_lowered_with_the_rule_and_the_amounts() -> None:
    p = make_plan(sig(270.0, stop=268.0), policy=FixedQuantity(quantity=D(1000)), lim=Limits(max_position_qty=D(300)),
                  positions={"SPY": D(100)}, marks={"SPY": D(270)})
    assert (p.quantity, p.requested_qty) == (D(200), D(1000))
    assert p.notes == ("POSITION_LIMIT: quantity 1000 capped to 200 (position 100, max_position_qty=300)",)
    assert p.risk == D(400)


def test_a_fixed_quantity_above_the_exposure_limit_is_lowered() -> None:
    # other positions: 250 AAPL x 170 = 42,500 gross; 50 % of 100,000 leaves 7,500 = 27 SPY at 270
    p = make_plan(sig(270.0, stop=268.0), policy=FixedQuantity(quantity=D(100)),
                  lim=Limits(max_gross_exposure_pct=D(50)), positions={"AAPL": D(250)},
                  marks={"AAPL": D(170), "SPY": D(270)})
    assert p.quantity == D(27)
    assert p.notes == ("EXPOSURE_LIMIT: quantity 100 capped to 27 (gross exposure of the other positions "
                       "42500.00 USD, max_gross_exposure_pct=50% of equity)",)


def test_a_fixed_quantity_above_the_buying_power_is_lowered() -> None:
    # house intraday margin 25 %: 30,000 of equity carries 30,000 / (270 x 0.25) = 444 SPY
    lim = Limits(max_total_risk_pct=D(100), max_gross_exposure_pct=D(1000), max_net_exposure_pct=D(1000))
    p = make_plan(sig(270.0, stop=268.0), policy=FixedQuantity(quantity=D(1000)), lim=lim, eq=D(30_000),
                  holds_overnight=False)
    assert p.quantity == D(444)
    assert p.notes == ("REG_T_MARGIN: quantity 1000 capped to 444 (house intraday margin 0.00 USD of equity "
                       "30000.00 (market-rules.md §2.3))",)
    # held overnight, Reg T's 50 % binds: 30,000 / 135 = 222
    p = make_plan(sig(270.0, stop=268.0), policy=FixedQuantity(quantity=D(1000)), lim=lim, eq=D(30_000),
                  holds_overnight=True)
    assert p.quantity == D(222)
    assert p.notes[-1].startswith("OVERNIGHT_BP: quantity 444 capped to 222 (Reg T requirement 0.00 USD")


def test_against_an_opposite_position_the_cap_counts_the_margin_closing_it_frees() -> None:
    # short 200 SPY (house margin 200 x 270 x 30 % = 16,200): the first 200 bought close it, then 30,000 of
    # equity carries 30,000 / (270 x 0.25) = 444 long: 644 in all
    lim = Limits(max_total_risk_pct=D(100), max_gross_exposure_pct=D(1000), max_net_exposure_pct=D(1000))
    p = make_plan(sig(270.0, stop=268.0), policy=FixedQuantity(quantity=D(1000)), lim=lim, eq=D(30_000),
                  positions={"SPY": D(-200)}, marks={"SPY": D(270)}, holds_overnight=False)
    assert p.quantity == D(644)
    assert p.notes == ("REG_T_MARGIN: quantity 1000 capped to 644 (house intraday margin 0.00 USD of equity "
                       "30000.00 (market-rules.md §2.3))",)


def test_every_cap_that_bites_is_recorded_in_order() -> None:
    lim = Limits(max_trade_qty=D(800), max_position_qty=D(500))
    p = make_plan(sig(270.0, stop=268.0), policy=FixedQuantity(quantity=D(1000)), lim=lim)
    assert p.notes == ("POSITION_LIMIT: quantity 1000 capped to 800 (max_trade_qty=800)",
                       "POSITION_LIMIT: quantity 800 capped to 500 (position 0, max_position_qty=500)")
    assert p.quantity == D(500)


def test_nothing_left_under_a_cap_is_a_denial_naming_the_rule() -> None:
    with pytest.raises(RiskDenied) as info:
        make_plan(sig(270.0, stop=268.0), policy=FixedQuantity(quantity=D(10)), lim=Limits(max_position_qty=D(100)),
                  positions={"SPY": D(100)}, marks={"SPY": D(270)})
    assert info.value.rule == "POSITION_LIMIT"
    assert info.value.reason == ("no whole lot of SPY fits: POSITION_LIMIT: quantity 10 capped to 0 "
                                 "(position 100, max_position_qty=100)")
    with pytest.raises(RiskDenied) as info:
        make_plan(sig(100.0, stop=99.0), open_risk=D(5000))  # no open-risk room left
    assert info.value.rule == "TOTAL_RISK"
    assert "max_total_risk_pct=5% of equity 100000.00" in info.value.reason


def test_no_lot_within_the_risk_budget_is_a_position_size_denial() -> None:
    with pytest.raises(RiskDenied) as info:
        make_plan(sig(100.0, stop=95.0), eq=D(400))  # the budget is 4 USD, one share risks 5
    assert info.value.rule == "POSITION_SIZE"
    assert "one lot risks 5.00 USD, the budget is 4.00 USD" in info.value.reason


@settings(max_examples=300, deadline=None)
@given(price=st.decimals(min_value=D("1.00"), max_value=D("2000"), places=2),
       stop_pct=st.decimals(min_value=D("0.1"), max_value=D("20"), places=2),
       equity_=st.decimals(min_value=D(1000), max_value=D(10_000_000), places=2),
       risk_pct=st.decimals(min_value=D("0.05"), max_value=D(5), places=2),
       total_pct=st.decimals(min_value=D("0.1"), max_value=D(20), places=2),
       open_frac=st.decimals(min_value=D(0), max_value=D(1), places=3),
       fixed=st.none() | st.integers(1, 5000),
       side=st.sampled_from([Side.BUY, Side.SELL]), lot=st.sampled_from([1, 100]))
def test_sizing_never_exceeds_the_configured_risk(price: Decimal, stop_pct: Decimal, equity_: Decimal,
                                                  risk_pct: Decimal, total_pct: Decimal, open_frac: Decimal,
                                                  fixed: int | None, side: Side, lot: int) -> None:
    inst = SPY if lot == 1 else Instrument("SPY", InstrumentKind.STOCK, Exchange.SMART, contract_size=lot)
    stop = float(price * (1 - side.sign * stop_pct / 100))
    lim = Limits(account_risk_pct=risk_pct, max_total_risk_pct=max(total_pct, risk_pct), max_stop_pct=D(50),
                 min_reward_risk=D(0))
    open_risk = equity_ * lim.max_total_risk_pct / 100 * open_frac
    policy = RiskPercent() if fixed is None else FixedQuantity(quantity=D(fixed))
    try:
        p = make_plan(sig(float(price), side, stop=stop), lim=lim, eq=equity_, open_risk=open_risk, policy=policy,
                      inst=inst)
    except RiskDenied as exc:
        refused = exc.rule
        # a property: either sized (perhaps capped) or refused by the rule that left nothing
        assert refused in ("POSITION_SIZE", "STOP_LOSS", "TOTAL_RISK", "EXPOSURE_LIMIT", "REG_T_MARGIN",
                           "OVERNIGHT_BP")
        return
    assert p.stop is not None
    assert 0 < p.quantity <= p.requested_qty
    assert p.quantity % lot == 0
    assert p.risk == p.quantity * abs(p.entry - p.stop) * inst.multiplier
    if fixed is None:
        assert p.risk <= equity_ * lim.account_risk_pct / 100
    else:
        assert p.requested_qty == D(fixed) // lot * lot
    assert open_risk + p.risk <= equity_ * lim.max_total_risk_pct / 100
    assert p.quantity * p.entry * inst.multiplier <= equity_ * lim.max_gross_exposure_pct / 100
    assert (p.entry - p.stop) * side.sign > 0
    assert (p.quantity < p.requested_qty) == bool([n for n in p.notes if "capped to" in n])
