"""A restarted trade manager picks up its open trades, positions and P&L from the journal and the store; the
protective orders never left the broker, so they keep protecting across the restart."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from tests.unit.execution.helpers import T0, children, make_rig
from tests.unit.trading.rig import TradingRig, make_manager, make_trading_rig, signal
from theo.execution.service import OrderService
from theo.model.enums import OrderStatus, OrderType, Side
from theo.model.orders import OrderRequest, OrderTag
from theo.model.trades import ExitReason, TradeStatus
from theo.risk.config import RiskConfig
from theo.risk.state import State
from theo.trading.recovery import entry_of

D = Decimal


def sec(n: float) -> datetime:
    return T0 + timedelta(seconds=n)


def _restart(tmp_path: Path, first: TradingRig, config: RiskConfig) -> TradingRig:
    """A new process: same store and broker state file, fresh service and manager."""
    first.rig.service.stop()
    first.rig.engine.dispose()
    rig = make_rig(tmp_path, engine=first.rig.engine, state_file="sim.db", start=first.rig.clock.now())
    return TradingRig(rig, make_manager(rig, config))


def test_exit_orders_are_found_by_their_ids() -> None:
    assert entry_of("s1-s42-entry-sl") == "s1-s42-entry"
    assert entry_of("s1-20190211-0001-sl2") == "s1-20190211-0001"
    assert entry_of("s1-20190211-0001-tp") == "s1-20190211-0001"
    assert entry_of("s1-20190211-0001-x3") == "s1-20190211-0001"
    assert entry_of("s1-20190211-0001") is None
    assert entry_of("s1-20190211-0001-oco") is None


def test_open_trades_survive_a_restart_and_keep_being_managed(tmp_path: Path) -> None:
    config = RiskConfig.model_validate({"trade": {"rr_trigger_r": 1}})
    r = make_trading_rig(tmp_path, config, state_file="sim.db")
    r.tick(sec(0), 100.0)
    t, _ = r.manager.open_trade(signal(sec(0), 100.0, stop=99.0, target=103.0))
    assert t is not None
    r.tick(sec(1), 100.0)
    r.tick(sec(2), 101.0)  # risk reduction: the stop to 100 for 500, 500 to sell
    r.tick(sec(3), 101.0)  # sold
    assert t.exit_qty == D(500)
    equity = r.manager.portfolio.equity()

    r2 = _restart(tmp_path, r, config)
    report = r2.manager.recover()
    assert (report.trades, report.fills, report.rebuilt) == (1, 2, [])
    [t2] = r2.manager.trades(open_only=True)
    assert (t2.entry_qty, t2.exit_qty, t2.stop, t2.rr_done) == (D(1000), D(500), D(100), True)
    assert t2.realised == t.realised
    assert set(t2.protective) == {f"{t2.entry_order_id}-sl", f"{t2.entry_order_id}-tp"}
    assert r2.manager.is_protected(t2)
    assert r2.manager.portfolio.position("SPY") == D(500)
    r2.tick(sec(4), 101.0)
    assert r2.manager.portfolio.equity() == equity
    r2.tick(sec(5), 100.0)  # the break-even stop rested at the broker through the restart
    assert (t2.status, t2.exit_reason, t2.exit_qty) == (TradeStatus.CLOSED, ExitReason.STOP_LOSS, D(1000))
    assert r2.rig.broker.positions() == {}


def test_a_trade_whose_stop_filled_while_the_engine_was_down_is_closed_at_restart(tmp_path: Path) -> None:
    config = RiskConfig()
    r = make_trading_rig(tmp_path, config, state_file="sim.db")
    r.tick(sec(0), 100.0)
    t, _ = r.manager.open_trade(signal(sec(0), 100.0, stop=99.0, target=103.0))
    assert t is not None
    r.tick(sec(1), 100.0)
    r.rig.broker._handlers.clear()  # the engine dies; the broker works on
    r.rig.clock.advance_to(sec(2))
    from theo.model.market import Tick

    r.rig.broker.on_tick(Tick("SPY", sec(2), 98.5, 1_000))
    r2 = _restart(tmp_path, r, config)  # reconciliation journals the stop's fill and the target's cancel
    r2.manager.recover()
    assert r2.manager.trades(open_only=True) == []
    [closed] = r2.manager.trades()
    assert (closed.exit_reason, closed.exit_price, closed.status) == (ExitReason.STOP_LOSS, D("98.5"),
                                                                      TradeStatus.CLOSED)
    assert r2.manager.portfolio.position("SPY") == 0


def _orphan(tmp_path: Path, send: Callable[[OrderService, OrderRequest], object]) -> TradingRig:
    """An entry journaled and sent by ``send``, filled, then a restart: the process died before its trade row."""
    config = RiskConfig()
    rig = make_rig(tmp_path, state_file="sim.db")
    r = TradingRig(rig, make_manager(rig, config))
    r.tick(sec(0), 100.0)
    send(rig.service, OrderRequest("SPY", Side.BUY, D(100), OrderType.MARKET, strategy="s1", tag=OrderTag.ENTRY))
    r.tick(sec(1), 100.0)
    return _restart(tmp_path, r, config)


def test_an_accepted_entry_without_its_trade_row_is_rebuilt_from_its_children(tmp_path: Path) -> None:
    r2 = _orphan(tmp_path, lambda svc, entry: svc.submit_bracket(
        entry, children("BUY", 100, stop="99.50", target="101.00", strategy="s1")))
    report = r2.manager.recover()
    assert len(report.rebuilt) == 1
    [t] = r2.manager.trades(open_only=True)
    assert (t.entry_qty, t.entry_price, t.stop, t.target) == (D(100), D("100.00"), D("99.50"), D("101.00"))
    assert set(t.protective) == {f"{t.entry_order_id}-sl", f"{t.entry_order_id}-tp"}
    assert "recovered without its trade record" in t.comment
    r2.tick(sec(2), 101.0)  # its target rested at the broker all along
    assert (t.status, t.exit_reason) == (TradeStatus.CLOSED, ExitReason.PROFIT_TARGET)


def test_a_rebuilt_entry_without_children_gets_the_default_stop_from_the_sweep(tmp_path: Path) -> None:
    r2 = _orphan(tmp_path, lambda svc, entry: svc.create_order(entry))
    r2.manager.recover()
    [t] = r2.manager.trades(open_only=True)
    assert (t.entry_qty, t.stop, t.target) == (D(100), D("99.00"), None)  # default_stop_pct 1 %
    assert "recovered without its trade record: default stop" in t.comment
    assert not r2.manager.is_protected(t)
    r2.manager.sweep(sec(2))
    stop = r2.order(f"{t.entry_order_id}-sl1")
    assert (stop.status, stop.request.stop_price, stop.quantity) == (OrderStatus.ACCEPTED, D("99.00"), D(100))
    r2.tick(sec(3), 98.9)
    assert (t.status, t.exit_reason, t.exit_price) == (TradeStatus.CLOSED, ExitReason.STOP_LOSS, D("98.9"))


def test_recovery_reads_the_trade_store_once_and_leaves_closed_trades_their_own_orders(tmp_path: Path) -> None:
    from sqlalchemy import event

    config = RiskConfig()
    r = make_trading_rig(tmp_path, config, state_file="sim.db")
    closed = []
    for n in range(3):  # three trades, each closed by its target, then one left open
        r.tick(sec(10 * n), 100.0)
        t, _ = r.manager.open_trade(signal(sec(10 * n), 100.0, stop=99.0, target=101.0))
        assert t is not None
        r.tick(sec(10 * n + 1), 100.0)
        r.tick(sec(10 * n + 2), 101.0)
        assert t.status is TradeStatus.CLOSED
        closed.append(t)
    r.tick(sec(40), 100.0)
    live, _ = r.manager.open_trade(signal(sec(40), 100.0, stop=99.0, target=103.0))
    assert live is not None
    r.tick(sec(41), 100.0)

    r2 = _restart(tmp_path, r, config)
    selects: list[str] = []
    event.listen(r2.rig.engine, "before_cursor_execute",
                 lambda conn, cur, stmt, *a: selects.append(stmt) if "FROM trades" in stmt else None)
    report = r2.manager.recover()
    assert (report.trades, report.rebuilt) == (1, [])
    assert len(selects) == 1  # not once more per closed trade: start-up does not grow with the account's age
    [t2] = r2.manager.trades(open_only=True)
    assert t2.entry_order_id == live.entry_order_id
    assert set(t2.exit_orders) == {f"{live.entry_order_id}-sl", f"{live.entry_order_id}-tp"}
    for t in closed:
        assert r2.manager.trade_of(f"{t.entry_order_id}-tp") is None


def _lose(r: TradingRig, at: datetime) -> None:
    """One trade bought at 103 and stopped out below 102."""
    r.tick(at, 103.0)
    t, _ = r.manager.open_trade(signal(at, 103.0, stop=102.0, target=106.0))
    assert t is not None, "the entry was refused"
    r.tick(at + timedelta(seconds=1), 103.0)
    r.tick(at + timedelta(seconds=2), 101.0)
    r.tick(at + timedelta(seconds=3), 101.0)
    assert (t.status, t.net() < 0) == (TradeStatus.CLOSED, True)


def test_a_restart_keeps_the_drawdown_and_the_losing_streak_the_breakers_measure(tmp_path: Path) -> None:
    config = RiskConfig.model_validate({"breakers": {"max_drawdown_pct": 50, "max_consecutive_losses": 5}})
    r = make_trading_rig(tmp_path, config, state_file="sim.db")
    r.tick(sec(0), 100.0)
    win, _ = r.manager.open_trade(signal(sec(0), 100.0, stop=99.0, target=103.0))
    for n, px in enumerate((100.0, 103.0, 103.0), start=1):
        r.tick(sec(n), px)
    assert win is not None
    assert (win.status, win.net() > 0) == (TradeStatus.CLOSED, True)
    for k in range(2):
        _lose(r, sec(10 + 10 * k))
    before = r.manager.portfolio.drawdown_pct()
    peak = r.manager.portfolio.peak
    assert peak == r.manager.portfolio.capital + win.net()  # the peak the first run saw: after the win
    assert before > 0
    assert r.manager.losses_in_row == 2

    r2 = _restart(tmp_path, r, config)
    r2.manager.recover()
    assert r2.manager.portfolio.peak == peak  # not the configured capital: the drawdown is not forgiven
    assert r2.manager.losses_in_row == 2
    r2.tick(sec(40), 101.0)
    assert r2.manager.portfolio.drawdown_pct() == before


def test_a_persons_resume_ends_the_losing_streak_in_the_run_and_after_a_restart(tmp_path: Path) -> None:
    streak = {"max_consecutive_losses": 2, "consecutive_losses_action": "halted"}
    config = RiskConfig.model_validate({"breakers": streak, "account": {"limits": {"daily_loss_limit_pct": None}}})
    r = make_trading_rig(tmp_path, config, state_file="sim.db")
    _lose(r, sec(0))
    assert r.manager.state.state is State.ACTIVE
    _lose(r, sec(10))
    assert (r.manager.state.state, r.manager.losses_in_row) == (State.HALTED, 2)
    r.rig.clock.advance_to(sec(20))
    r.manager.state.resume("looked at the two losses", "cli:ops")
    assert r.manager.losses_in_row == 0
    _lose(r, sec(30))  # the entry is not halted again by the streak the person acknowledged
    assert (r.manager.state.state, r.manager.losses_in_row) == (State.ACTIVE, 1)

    r2 = _restart(tmp_path, r, config)
    r2.manager.recover()
    assert r2.manager.losses_in_row == 1  # the loss after the resume, not the three in the store
    _lose(r2, sec(40))
    assert (r2.manager.state.state, r2.manager.losses_in_row) == (State.HALTED, 2)


def test_a_guard_lifting_its_own_reduction_does_not_end_a_streak(tmp_path: Path) -> None:
    config = RiskConfig.model_validate({"breakers": {"max_consecutive_losses": 3}})
    r = make_trading_rig(tmp_path, config)
    _lose(r, sec(0))
    r.manager.state.reduce("no fresh market data for SPY", "feed-guard")
    r.manager.state.resume("market data is fresh again", "feed-guard")
    assert r.manager.losses_in_row == 1
