"""The trade manager on ticks: every exit kind, fills sized to what filled, the trade's life in the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.unit.execution.helpers import T0
from tests.unit.trading.rig import make_trading_rig, signal
from theo.core.errors import RiskDenied
from theo.model.enums import OrderStatus, Side
from theo.model.trades import ExitReason, TradeStatus
from theo.persistence.repositories.trades import SqlTradeStore as TradeStore
from theo.risk.config import RiskConfig
from theo.risk.state import State

D = Decimal


def sec(n: float) -> datetime:
    return T0 + timedelta(seconds=n)


def cfg(**trade: object) -> RiskConfig:
    return RiskConfig.model_validate({"trade": trade})


def test_stop_exits_on_the_tick_that_crosses_it(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path)
    r.tick(sec(0), 270.0)
    t = r.manager.open_trade(signal(sec(0), 270.0, stop=269.0, target=273.0))
    assert t is not None
    assert t.status is TradeStatus.WAITING
    assert t.planned_qty == D(1000)
    r.tick(sec(1), 270.05)
    assert t.status is TradeStatus.RUNNING
    assert t.entry_price == D("270.05")
    r.tick(sec(2), 269.01)
    assert t.status is TradeStatus.RUNNING
    r.tick(sec(3), 269.00)
    assert t.status is TradeStatus.CLOSED
    assert t.exit_reason is ExitReason.STOP_LOSS
    assert t.exit_price == D("269.00")
    assert t.realised == D("-1050.00")
    stored = TradeStore(r.rig.engine).load_trades()
    assert [(x.status, x.exit_reason, x.realised, x.entry_qty) for x in stored] == \
        [(TradeStatus.CLOSED, ExitReason.STOP_LOSS, D("-1050"), D(1000))]
    kinds = [e["kind"] for e in TradeStore(r.rig.engine).events(stored[0].id or 0)]
    assert kinds[0] == "opened"
    assert kinds[-1] == "closed"
    assert "exit_requested" in kinds


def test_target_short_trade(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path)
    r.tick(sec(0), 270.0)
    t = r.manager.open_trade(signal(sec(0), 270.0, Side.SELL, stop=271.0, target=268.0))
    assert t is not None
    r.tick(sec(1), 270.0)
    r.tick(sec(2), 268.5)
    assert t.status is TradeStatus.RUNNING
    r.tick(sec(3), 267.99)
    assert t.exit_reason is ExitReason.PROFIT_TARGET
    assert t.realised == D("2010.00")


def test_trailing_stop_follows_the_best_price(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path, cfg(trailing_stop_pct="0.5"))
    r.tick(sec(0), 100.0)
    t = r.manager.open_trade(signal(sec(0), 100.0, stop=99.0, target=110.0))
    assert t is not None
    r.tick(sec(1), 100.0)
    r.tick(sec(2), 102.0)  # stop -> 101.49 (floor of 102 x 0.995)
    assert t.stop == D("101.49")
    assert t.status is TradeStatus.RUNNING
    r.tick(sec(3), 101.8)  # no new high: the stop stays
    assert t.stop == D("101.49")
    r.tick(sec(4), 101.49)
    assert t.exit_reason is ExitReason.TRAILING_STOP
    assert t.exit_price == D("101.49")


def test_risk_reduction_sells_half_and_moves_the_stop_to_break_even(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path, cfg(rr_trigger_r="1", rr_sell_pct="50"))
    r.tick(sec(0), 100.0)
    t = r.manager.open_trade(signal(sec(0), 100.0, stop=99.0, target=103.0))
    assert t is not None
    assert t.planned_qty == D(1000)
    r.tick(sec(1), 100.0)
    r.tick(sec(2), 101.0)  # +1R
    assert t.exit_qty == D(500)
    assert t.stop == D("100.00")
    assert t.status is TradeStatus.RUNNING
    assert t.realised == D("500.00")
    assert "risk reduction: sold 500" in t.comment
    r.tick(sec(3), 100.0)  # break-even stop
    assert t.status is TradeStatus.CLOSED
    assert t.exit_reason is ExitReason.STOP_LOSS
    assert t.realised == D("500.00")


def test_exit_rule_and_manual_close(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path)
    r.tick(sec(0), 100.0)
    t = r.manager.open_trade(signal(sec(0), 100.0, stop=99.0, target=103.0))
    r.tick(sec(1), 100.0)
    assert r.manager.on_signal(signal(sec(1), 100.5, Side.SELL, exit=True)) is None
    r.tick(sec(2), 100.5)
    assert t is not None
    assert t.exit_reason is ExitReason.EXIT_RULE


def test_time_exit_at_the_configured_time(tmp_path: Path) -> None:
    start = datetime(2019, 2, 11, 20, 50, tzinfo=UTC)  # 15:50 ET
    r = make_trading_rig(tmp_path, start=start)
    r.tick(start, 100.0)
    t = r.manager.open_trade(signal(start, 100.0, stop=99.0, target=103.0))
    r.tick(start + timedelta(seconds=1), 100.0)
    r.tick(start + timedelta(minutes=4, seconds=59), 100.1)
    assert t is not None
    assert t.status is TradeStatus.RUNNING
    r.tick(start + timedelta(minutes=5), 100.2)  # 15:55 ET
    assert t.status is TradeStatus.CLOSED
    assert t.exit_reason is ExitReason.TIME_EXIT


def test_partial_entry_then_stop_exits_only_what_filled(tmp_path: Path) -> None:
    from tests.unit.execution.helpers import make_rig
    from theo.execution.config import ExecutionConfig, SimulatedBrokerConfig
    from theo.trading.manager import TradeManager

    rig = make_rig(tmp_path, config=ExecutionConfig(sim=SimulatedBrokerConfig(participation=0.5)), state_file=None)
    mgr = TradeManager(rig.service, rig.clock, None, RiskConfig(), rig.bus, rig.engine)
    from tests.unit.trading.rig import TradingRig

    r = TradingRig(rig, mgr)
    r.tick(sec(0), 100.0)
    t = mgr.open_trade(signal(sec(0), 100.0, stop=99.0, target=103.0))
    assert t is not None
    r.tick(sec(1), 100.0, size=600)  # 300 of 1,000 fill
    assert t.entry_qty == D(300)
    assert t.status is TradeStatus.RUNNING
    r.tick(sec(2), 98.9, size=2000)  # stop: the rest of the entry is cancelled, 300 are sold
    entry = rig.service.orders[t.entry_order_id]
    assert entry.status is OrderStatus.CANCELLED
    exit_id = next(iter(t.exit_orders))
    assert rig.service.orders[exit_id].quantity == D(300)
    assert t.status is TradeStatus.CLOSED
    assert t.exit_qty == D(300)


def test_a_denied_entry_creates_no_trade(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path, RiskConfig.model_validate({"account": {"limits": {"max_active_trades": 0}}}))
    r.tick(sec(0), 100.0)
    with pytest.raises(RiskDenied) as info:
        r.manager.open_trade(signal(sec(0), 100.0, stop=99.0))
    assert info.value.rule == "MAX_ACTIVE_TRADES"
    assert r.manager.trades() == []
    assert TradeStore(r.rig.engine).load_trades() == []


def test_kill_switch_cancels_flattens_and_halts(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path)
    r.tick(sec(0), 100.0)
    running = r.manager.open_trade(signal(sec(0), 100.0, stop=99.0, target=103.0))
    r.tick(sec(1), 100.0)
    waiting = r.manager.open_trade(signal(sec(1), 50.0, stop=49.0, target=53.0, symbol="AAPL"))
    assert running is not None
    assert waiting is not None
    assert waiting.status is TradeStatus.WAITING
    cancelled = r.manager.kill(flatten=True, reason="test", actor="pytest")
    assert cancelled == 1
    assert r.manager.state.state is State.HALTED
    r.tick(sec(2), 100.2)
    assert running.exit_reason is ExitReason.KILL_SWITCH
    assert running.status is TradeStatus.CLOSED
    assert waiting.status is TradeStatus.CLOSED
    assert waiting.exit_reason is ExitReason.NOT_FILLED
    with pytest.raises(RiskDenied):
        r.manager.open_trade(signal(sec(3), 100.0, stop=99.0))


def test_status_per_strategy_and_symbol(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path)
    r.tick(sec(0), 100.0)
    r.manager.open_trade(signal(sec(0), 100.0, stop=99.0, target=103.0))
    rows = r.manager.status()
    assert [(x.strategy, x.symbol, x.last_signal, x.trade_status, x.order_status) for x in rows] == \
        [("s1", "SPY", "Long", "Waiting", "Placed")]
    r.tick(sec(1), 100.0)
    assert r.manager.status()[0].trade_status == "Running"
    assert r.manager.status()[0].order_status == "Success"


def test_drawdown_limit_halts_trading(tmp_path: Path) -> None:
    config = RiskConfig.model_validate({"breakers": {"max_drawdown_pct": "0.5"},
                                        "account": {"limits": {"daily_loss_limit_pct": None}}})
    r = make_trading_rig(tmp_path, config)
    r.tick(sec(0), 100.0)
    r.manager.open_trade(signal(sec(0), 100.0, stop=99.0, target=103.0))
    r.tick(sec(1), 100.0)
    r.tick(sec(2), 98.0)  # gap through the stop: 1,000 x -2 = -2,000 - charges > 0.5 % of 100,000
    assert r.manager.state.state is State.HALTED
    assert "RM-Max-sp" in r.manager.state.history[-1].reason


def test_sweep_runs_a_kill_requested_by_another_process(tmp_path: Path) -> None:
    from theo.persistence.repositories.trading_state import TradingStateRepository
    from theo.risk.state import StateChange

    r = make_trading_rig(tmp_path)
    r.tick(sec(0), 100.0)
    t = r.manager.open_trade(signal(sec(0), 100.0, stop=99.0, target=103.0))
    r.tick(sec(1), 100.0)
    TradingStateRepository(r.rig.engine).append(StateChange(sec(1), State.HALTED, State.ACTIVE, "panic", "cli:ann"),
                                                 kill=True, flatten=True)
    r.manager.sweep(sec(2))
    r.tick(sec(3), 100.3)
    assert t is not None
    assert t.exit_reason is ExitReason.KILL_SWITCH
    assert r.manager.state.state is State.HALTED
    assert r.manager.state.refresh() is None  # handled once


def test_periodic_sweep_is_a_safety_net(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path, cfg(sweep_seconds=5))
    r.tick(sec(0), 100.0)
    t = r.manager.open_trade(signal(sec(0), 100.0, stop=99.0, target=103.0))
    r.tick(sec(1), 100.0)
    assert t is not None
    t.stop, t.stop_kind = D("100.50"), ExitReason.STOP_LOSS  # a level moved from outside, no tick since
    t.refresh_levels()
    r.manager.start()
    r.rig.clock.advance_to(sec(6))  # the sweep re-checks the last price against the new stop
    assert t.pending_exit is not None
    assert t.pending_reason is ExitReason.STOP_LOSS
    r.manager.stop()


def test_pnl_views_agree(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path)
    r.tick(sec(0), 100.0)
    r.manager.open_trade(signal(sec(0), 100.0, stop=99.0, target=103.0))
    r.tick(sec(1), 100.0)
    r.tick(sec(2), 100.4)
    mark = {"SPY": D("100.4")}
    total = r.manager.pnl()
    assert total.unrealised == D("400.0")
    assert total.charges == D("5.08")
    assert r.manager.pnl_by_strategy()["s1"] == total
    assert r.manager.portfolio.ledger.pnl(mark).net == total.net
    assert r.manager.portfolio.equity() == D(100_000) + total.net


def test_sweep_writes_the_daily_pnl(tmp_path: Path) -> None:
    from sqlalchemy import select

    from theo.persistence.db import transaction
    from theo.persistence.models.trades import PnlDailyRow

    r = make_trading_rig(tmp_path)
    r.tick(sec(0), 100.0)
    r.manager.open_trade(signal(sec(0), 100.0, stop=99.0, target=103.0))
    r.tick(sec(1), 100.0)
    r.tick(sec(2), 100.5)
    r.manager.sweep(sec(3))
    with transaction(r.rig.engine) as s:
        rows = {(row.strategy, row.trades): (row.realised, row.unrealised, row.charges, row.net, row.equity)
                for row in s.scalars(select(PnlDailyRow))}
    assert rows == {("s1", 1): (D(0), D(500), D("5.08"), D("494.92"), None),
                    ("", 1): (D(0), D(500), D("5.08"), D("494.92"), D("100494.92"))}


def test_in_halted_only_cancels_reach_the_broker(tmp_path: Path) -> None:
    from theo.model.enums import OrderType
    from theo.model.orders import OrderRequest

    r = make_trading_rig(tmp_path)
    svc = r.rig.service
    r.tick(sec(0), 100.0)
    working = svc.create_order(OrderRequest("SPY", Side.BUY, D(10), OrderType.LIMIT, limit_price=D("90.00"),
                                            strategy="m"))
    t = r.manager.open_trade(signal(sec(0), 100.0, stop=99.0, target=103.0))
    r.tick(sec(1), 100.0)
    assert t is not None
    submitted = len(r.rig.broker.state.orders)
    r.manager.state.halt("test", "pytest")
    orders = [svc.create_order(OrderRequest("SPY", Side.SELL, D(1000), OrderType.MARKET, strategy="s1",
                                            reduce_only=True, tag="stop_loss")),
              svc.create_order(OrderRequest("SPY", Side.BUY, D(1), OrderType.MARKET, strategy="m")),
              svc.create_bracket_order(OrderRequest("SPY", Side.BUY, D(1), OrderType.LIMIT, limit_price=D("99.00"),
                                                    strategy="m"), D("98.00"), D("101.00")).entry]
    assert all(o.status is OrderStatus.REJECTED and "TRADING_HALTED" in o.reason for o in orders)
    with pytest.raises(RiskDenied):
        svc.modify_order(working.client_order_id, limit_price=D("91.00"))
    r.tick(sec(2), 98.0)  # the stop is crossed but nothing may leave
    assert t.pending_exit is None
    assert len(r.rig.broker.state.orders) == submitted
    svc.cancel_order(working.client_order_id)  # cancels always pass
    assert svc.orders[working.client_order_id].status is OrderStatus.CANCELLED
