"""Each pre-trade check denies with its rule name and a readable reason; closing orders always pass."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.unit.risk.fakes import FakePortfolio, make_checks, order
from theo.core.errors import RiskDenied
from theo.model.enums import Side
from theo.model.orders import Order, OrderTag
from theo.model.signals import Signal
from theo.risk.config import AccountRisk, LimitOverrides, Limits, RiskConfig
from theo.risk.margin import BrokerRiskValues
from theo.strategy.settings import FixedQuantity

D = Decimal


def denied(checks: object, req: object) -> RiskDenied:
    with pytest.raises(RiskDenied) as info:
        checks(req)  # type: ignore[operator]
    return info.value


def test_a_small_order_passes_every_check() -> None:
    checks, _, _ = make_checks()
    checks(order(qty=100))  # 100 x 270 x 1 % default stop = 270 USD risk, budget 1,000
    assert checks.decisions.recent[-1].rule == "ALL"
    assert checks.decisions.recent[-1].allowed


def test_max_active_trades_and_trades_per_day() -> None:
    checks, _, _ = make_checks(pf=FakePortfolio(active=5))
    exc = denied(checks, order())
    assert exc.rule == "MAX_ACTIVE_TRADES"
    assert "max_active_trades=5" in exc.reason
    checks, _pf, _ = make_checks(pf=FakePortfolio(opened_today=20))
    assert denied(checks, order()).rule == "MAX_TRADES_PER_DAY"


def test_trade_risk_above_the_budget_is_denied() -> None:
    checks, _, _ = make_checks()
    # 400 x 270 x 1 % = 1,080 USD > 1 % of 100,000
    exc = denied(checks, order(qty=400))
    assert exc.rule == "TRADE_RISK"
    assert "1080.00" in exc.reason


def test_total_risk_counts_the_open_trades() -> None:
    checks, _, _ = make_checks(pf=FakePortfolio(risk_open=D(4900)))
    assert denied(checks, order(qty=100)).rule == "TOTAL_RISK"


def test_position_and_exposure_limits() -> None:
    cfg = RiskConfig(account=AccountRisk(limits=Limits(max_position_qty=D(50))))
    checks, _, _ = make_checks(cfg)
    assert denied(checks, order(qty=60)).rule == "POSITION_LIMIT"
    cfg = RiskConfig(account=AccountRisk(limits=Limits(max_gross_exposure_pct=D(50))))
    checks, _, _ = make_checks(cfg, FakePortfolio(pos={"AAPL": D(250)}))
    exc = denied(checks, order(qty=100))  # 42,500 + 27,000 > 50,000
    assert exc.rule == "EXPOSURE_LIMIT"
    assert "69500.00" in exc.reason


def test_daily_loss_limit_stops_opening_orders_but_not_closing_ones() -> None:
    checks, _, _ = make_checks(pf=FakePortfolio(pnl_today=D(-3000), pos={"SPY": D(100)}))
    assert denied(checks, order("BUY", 10)).rule == "DAILY_LOSS_LIMIT"
    checks(order("SELL", 100))  # closing


def test_legacy_pdt_fourth_day_trade_denied_below_25k_closing_passes() -> None:
    pf = FakePortfolio(eq=D(20_000), dt_count=3, pos={"SPY": D(10)})
    checks, _, _ = make_checks(pf=pf)
    exc = denied(checks, order("BUY", 10))
    assert exc.rule == "PDT_LIMIT"
    assert "3 day trades" in exc.reason
    assert "25000" in exc.reason
    checks(order("SELL", 10))  # closing orders always pass
    pf.dt_count = 2
    checks(order("BUY", 10))  # a third day trade is still allowed
    pf.eq, pf.dt_count = D(30_000), 7
    checks(order("BUY", 10))  # at or above 25,000 the count does not limit


def test_legacy_pdt_follows_the_broker_count() -> None:
    checks, _, _ = make_checks(pf=FakePortfolio(bv=BrokerRiskValues(day_trades_remaining=0)))
    assert "DayTradesRemaining" in denied(checks, order()).reason


def test_intraday_margin_denies_an_opening_order_beyond_the_available_margin() -> None:
    cfg = RiskConfig(account=AccountRisk(pdt_policy="intraday_margin",
                                         limits=Limits(account_risk_pct=D(100), max_total_risk_pct=D(100))))
    pf = FakePortfolio(eq=D(10_000), pos={"AAPL": D(200)})  # 200 x 170 x 25 % = 8,500 used
    checks, _, _ = make_checks(cfg, pf)
    exc = denied(checks, order("BUY", 30))  # 30 x 270 x 25 % = 2,025 > 1,500 left
    assert exc.rule == "INTRADAY_MARGIN"
    assert "2025.00" in exc.reason
    assert "1500.00" in exc.reason
    checks(order("BUY", 20))  # 1,350 fits
    checks(order("SELL", 200, symbol="AAPL"))  # closing passes
    pf.bv = BrokerRiskValues(available_funds=D(1000))
    assert denied(checks, order("BUY", 20)).rule == "INTRADAY_MARGIN"  # the broker's value wins


def test_reg_t_margin_uses_the_house_intraday_rate() -> None:
    lim = Limits(account_risk_pct=D(100), max_total_risk_pct=D(100), max_gross_exposure_pct=D(1000),
                 max_net_exposure_pct=D(1000))
    checks, _pf, _ = make_checks(RiskConfig(account=AccountRisk(pdt_policy="none", limits=lim)),
                                FakePortfolio(eq=D(30_000)))
    assert denied(checks, order("BUY", 500)).rule == "REG_T_MARGIN"  # 135,000 x 25 % > 30,000
    checks(order("BUY", 440))  # 118,800 x 25 % = 29,700 fits


def test_day_trading_buying_power_is_four_times_the_maintenance_excess() -> None:
    lim = Limits(account_risk_pct=D(100), max_total_risk_pct=D(100), max_gross_exposure_pct=D(1000),
                 max_net_exposure_pct=D(1000))
    pf = FakePortfolio(eq=D(40_000), pos={"AAPL": D(100)})  # maintenance 100 x 170 x 25 % = 4,250
    checks, _, _ = make_checks(RiskConfig(account=AccountRisk(limits=lim)), pf)
    # DTBP = 4 x (40,000 - 4,250) = 143,000; 17,000 AAPL + 470 x 270 = 143,900 > 143,000
    exc = denied(checks, order("BUY", 470))
    assert exc.rule == "DAY_TRADING_BP"
    assert "143000.00" in exc.reason
    checks(order("BUY", 460))  # 141,200 fits


def test_day_trading_buying_power_counts_the_maintenance_of_the_positions_held_at_the_previous_close() -> None:
    lim = Limits(account_risk_pct=D(100), max_total_risk_pct=D(100), max_gross_exposure_pct=D(1000),
                 max_net_exposure_pct=D(1000))
    # AAPL bought today: DTBP stays 4 x (40,000 - 0) = 160,000 (market-rules.md §1.1 (iii), the prior close)
    pf = FakePortfolio(eq=D(41_000), sod=D(40_000), pos={"AAPL": D(100)}, sod_pos={})
    checks, _, _ = make_checks(RiskConfig(account=AccountRisk(limits=lim)), pf)
    checks(order("BUY", 520))  # 17,000 + 140,400 = 157,400 fits 160,000 (143,000 if today's AAPL counted)
    exc = denied(checks, order("BUY", 530))  # 17,000 + 143,100 = 160,100
    assert exc.rule == "DAY_TRADING_BP"
    assert "160000.00" in exc.reason


def test_overnight_buying_power_when_trades_are_held_overnight() -> None:
    lim = Limits(account_risk_pct=D(100), max_total_risk_pct=D(100), max_gross_exposure_pct=D(1000),
                 max_net_exposure_pct=D(1000))
    cfg = RiskConfig.model_validate({"account": {"pdt_policy": "none", "limits": lim.model_dump()},
                                     "trade": {"time_exit": None}})
    checks, _, _ = make_checks(cfg, FakePortfolio(eq=D(30_000)))
    exc = denied(checks, order("BUY", 250))  # 67,500 x 50 % = 33,750 > 30,000
    assert exc.rule == "OVERNIGHT_BP"
    assert "33750.00" in exc.reason
    checks(order("BUY", 200))


def test_overnight_check_applies_after_the_reg_t_check_time() -> None:
    lim = Limits(account_risk_pct=D(100), max_total_risk_pct=D(100), max_gross_exposure_pct=D(1000),
                 max_net_exposure_pct=D(1000))
    late = datetime(2019, 2, 12, 20, 51, tzinfo=UTC)  # 15:51 ET
    checks, _, _ = make_checks(RiskConfig(account=AccountRisk(pdt_policy="none", limits=lim)),
                               FakePortfolio(eq=D(30_000)), now=late)
    assert denied(checks, order("BUY", 250)).rule == "OVERNIGHT_BP"


def test_no_price_is_a_clear_denial() -> None:
    checks, _, _ = make_checks(pf=FakePortfolio(px={}))
    exc = denied(checks, order())
    assert exc.rule == "NO_PRICE"
    assert "LIMIT" in exc.reason


def test_order_rate_limit_counts_opening_orders_only() -> None:
    cfg = RiskConfig.model_validate({"rate_limit": {"max_orders": 2, "per_seconds": 60}})
    checks, _pf, _ = make_checks(cfg, FakePortfolio(pos={"SPY": D(300)}))
    checks(order("BUY", 1))
    checks(order("BUY", 1))
    assert denied(checks, order("BUY", 1)).rule == "ORDER_RATE"
    checks(order("SELL", 100))  # reducing orders are never throttled


def test_per_strategy_and_user_overrides() -> None:
    cfg = RiskConfig(strategies={"fast": LimitOverrides(max_active_trades=1)},
                     users={"ann": LimitOverrides(account_risk_pct=D("0.1"))})
    checks, _pf, _ = make_checks(cfg, FakePortfolio(active=1))
    assert denied(checks, order(strategy="fast")).rule == "MAX_ACTIVE_TRADES"
    assert cfg.limits_for("fast", "ann").account_risk_pct == D("0.1")
    assert cfg.limits_for("fast", "ann").max_active_trades == 1
    assert cfg.limits_for("other").max_active_trades == 5


def test_reducing_accounts_for_other_working_exits() -> None:
    checks, pf, _ = make_checks(pf=FakePortfolio(pos={"SPY": D(100)}, work={("SPY", Side.SELL): D(100)}))
    assert not checks.reduces(order("SELL", 100))  # with the working sell it would go short
    pf.work = {}
    assert checks.reduces(order("SELL", 100))
    assert not checks.reduces(order("SELL", 101))


def test_denials_are_recorded_in_risk_decisions(sqlite_engine: object) -> None:
    from sqlalchemy import select

    from theo.persistence.db import transaction
    from theo.persistence.models.trades import RiskDecisionRow
    from theo.persistence.repositories.decisions import DecisionRepository
    from theo.risk.decisions import DecisionLog

    checks, _, _ = make_checks(pf=FakePortfolio(active=9))
    checks.decisions = DecisionLog(DecisionRepository(sqlite_engine))  # type: ignore[arg-type]
    denied(checks, order())
    with transaction(sqlite_engine) as s:  # type: ignore[arg-type]
        rows = list(s.scalars(select(RiskDecisionRow)))
        assert [(r.rule, r.allowed, r.request["symbol"]) for r in rows] == [("MAX_ACTIVE_TRADES", False, "SPY")]


def test_a_trade_exit_is_closing_even_when_the_account_is_flat() -> None:
    pf = FakePortfolio(trade_qty={("s", "SPY", Side.SELL): D(200)})  # s is short 200, another strategy long 200
    checks, _, state = make_checks(pf=pf)
    checks(order("BUY", 200, strategy="s", reduce_only=True, tag=OrderTag.EXIT_RULE))
    assert checks.decisions.recent[-1].rule == "CLOSING"
    with pytest.raises(RiskDenied):  # more than the trade holds is not an exit
        checks(order("BUY", 900, strategy="s", reduce_only=True, tag=OrderTag.EXIT_RULE))
    state.reduce("test", "pytest")  # in REDUCING the account-level test decides: flat + buy = more exposure
    exit_order = order("BUY", 200, strategy="s", reduce_only=True, tag=OrderTag.EXIT_RULE)
    assert denied(checks, exit_order).rule == "REDUCING_ONLY"


def _entry_signal(price: float = 270.0, stop: float = 268.0) -> Signal:
    return Signal("s", "SPY", Side.BUY, datetime(2019, 2, 12, 15, 0, tzinfo=UTC), price, stop_loss=stop)


@pytest.mark.parametrize(("limits", "portfolio", "rule", "quantity"), [
    ({"max_position_qty": D(300)}, {"pos": {"SPY": D(100)}}, "POSITION_LIMIT", D(200)),
    ({"max_position_value": D(27_000)}, {}, "POSITION_LIMIT", D(100)),
    ({"max_gross_exposure_pct": D(50)}, {"pos": {"AAPL": D(250)}}, "EXPOSURE_LIMIT", D(27)),
    ({"max_total_risk_pct": D(2)}, {"risk_open": D(1500)}, "TOTAL_RISK", D(250)),
    ({"max_total_risk_pct": D(100), "max_gross_exposure_pct": D(1000), "max_net_exposure_pct": D(1000)},
     {"eq": D(30_000)}, "REG_T_MARGIN", D(444)),
])
def test_a_capped_plan_is_then_allowed_by_the_order_checks(limits: dict[str, Decimal], portfolio: dict[str, object],
                                                            rule: str, quantity: Decimal) -> None:
    cfg = RiskConfig(account=AccountRisk(pdt_policy="none", limits=Limits(**limits)))  # type: ignore[arg-type]
    checks, _, _ = make_checks(cfg, FakePortfolio(**portfolio))  # type: ignore[arg-type]
    plan = checks.plan_trade(_entry_signal(), FixedQuantity(quantity=D(1000)))
    assert plan.quantity == quantity
    assert [n.split(":")[0] for n in plan.notes] == [rule]
    checks(order("BUY", int(plan.quantity), strategy="s", tag=OrderTag.ENTRY))  # the capped entry goes out
    assert checks.decisions.recent[-1].rule == "ALL"
    with pytest.raises(RiskDenied):  # and one more share would not
        checks(order("BUY", int(plan.quantity) + 1, strategy="s", tag=OrderTag.ENTRY))


def test_a_plan_that_nothing_fits_is_denied_and_recorded() -> None:
    cfg = RiskConfig(account=AccountRisk(limits=Limits(max_position_qty=D(100))))
    checks, _, _ = make_checks(cfg, FakePortfolio(pos={"SPY": D(100)}))
    with pytest.raises(RiskDenied) as info:
        checks.plan_trade(_entry_signal(), FixedQuantity(quantity=D(50)))
    assert info.value.rule == "POSITION_LIMIT"
    assert checks.last_denial is info.value
    last = checks.decisions.recent[-1]
    assert (last.rule, last.allowed) == ("POSITION_LIMIT", False)


def test_halted_allows_only_changes_that_keep_or_shrink_a_protective_order() -> None:
    checks, _, state = make_checks(pf=FakePortfolio(pos={"SPY": D(100)}))
    stop = Order("e-sl", order("SELL", 100, strategy="s", reduce_only=True, tag=OrderTag.STOP_LOSS))
    state.halt("broker outage", "pytest")
    moved = order("SELL", 50, strategy="s", reduce_only=True, tag=OrderTag.STOP_LOSS)
    checks(moved, stop)  # shrinking (or moving) the resting stop of a running trade
    assert checks.decisions.recent[-1].rule == "PROTECTIVE"
    assert denied(checks, order("SELL", 100, strategy="s", reduce_only=True,
                                tag=OrderTag.STOP_LOSS)).rule == "TRADING_HALTED"  # a new order: no
    with pytest.raises(RiskDenied) as info:  # growing it: no
        checks(order("SELL", 200, strategy="s", reduce_only=True, tag=OrderTag.STOP_LOSS), stop)
    assert info.value.rule == "TRADING_HALTED"


def test_halted_lets_the_kill_switch_flatten_and_nothing_else() -> None:
    checks, _, state = make_checks(pf=FakePortfolio(pos={"SPY": D(100)},
                                                    trade_qty={("s", "SPY", Side.BUY): D(100)}))
    state.halt("kill switch: test", "pytest")
    checks(order("SELL", 100, strategy="s", reduce_only=True, tag=OrderTag.KILL_SWITCH))
    assert checks.decisions.recent[-1].rule == "KILL_SWITCH"
    assert denied(checks, order("SELL", 100, strategy="s", reduce_only=True,
                                tag=OrderTag.MANUAL)).rule == "TRADING_HALTED"
    # never more than the position: a kill-switch order that would open a short is an order like any other
    assert denied(checks, order("SELL", 150, reduce_only=True, tag=OrderTag.KILL_SWITCH)).rule == "TRADING_HALTED"


def test_the_example_config_risk_block_is_valid() -> None:
    import tomllib
    from pathlib import Path

    text = (Path(__file__).resolve().parents[3] / "config" / "theo.example.toml").read_text()
    start = text.index("# [risk.account]")
    block = []
    for line in text[start:].splitlines():
        if not line.startswith("#"):
            break
        block.append(line[2:] if line.startswith("# ") else line[1:])
    data = tomllib.loads("\n".join(block))
    cfg = RiskConfig.model_validate(data["risk"])
    assert cfg.account.margin.futures["MES"].initial == D(2500)
    assert cfg.limits_for("correlation", "alice").max_active_trades == 2
    assert cfg.rules_for("donchian").trailing_stop_pct == D("1.0")
