"""The trade manager on ticks: entries as brackets resting at the broker, every exit kind, the kill switch, the
sweep, the door at the time exit, the trade's life in the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.unit.execution.helpers import T0, make_rig
from tests.unit.trading.rig import TradingRig, make_manager, make_trading_rig, signal
from theo.core.errors import RiskDenied
from theo.execution.config import ExecutionConfig, SimulatedBrokerConfig
from theo.model.enums import OrderStatus, OrderType, Side, SignalStatus
from theo.model.orders import Order, OrderRequest, OrderTag
from theo.model.signals import Signal
from theo.model.trades import ExitReason, Trade, TradeStatus
from theo.persistence.repositories.trades import SqlTradeStore as TradeStore
from theo.risk.config import RiskConfig
from theo.risk.state import State
from theo.strategy.settings import FixedQuantity
from theo.trading.manager import ENTRY_NOTE, EXIT_NOTE, StrategyTerms

D = Decimal


def sec(n: float) -> datetime:
    return T0 + timedelta(seconds=n)


def cfg(**trade: object) -> RiskConfig:
    return RiskConfig.model_validate({"trade": trade})


def open_trade(r: TradingRig, sig: Signal) -> Trade:
    t, _plan = r.manager.open_trade(sig)
    assert t is not None
    return t


def legs(t: Trade) -> tuple[str, str]:
    return f"{t.entry_order_id}-sl", f"{t.entry_order_id}-tp"


def test_an_entry_goes_out_with_its_stop_and_target_resting_at_the_broker(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path)
    r.tick(sec(0), 100.0)
    t = open_trade(r, signal(sec(0), 100.0, stop=99.0, target=103.0))
    sl, tp = legs(t)
    assert (t.status, t.planned_qty) == (TradeStatus.WAITING, D(1000))  # 1 % of 100,000 over a 1.00 stop
    assert t.protective == {sl: ExitReason.STOP_LOSS, tp: ExitReason.PROFIT_TARGET}
    at_broker = {cid: r.rig.broker.order_status(cid) for cid in (t.entry_order_id, sl, tp)}
    assert [(o.order_type, o.side, o.quantity, o.stop_price, o.limit_price, o.status, o.oco_group)  # type: ignore[union-attr]
            for o in at_broker.values()] == [
        (OrderType.MARKET, Side.BUY, D(1000), None, None, OrderStatus.ACCEPTED, None),
        (OrderType.STOP, Side.SELL, D(1000), D("99.00"), None, OrderStatus.ACCEPTED, f"{t.entry_order_id}-oco"),
        (OrderType.LIMIT, Side.SELL, D(1000), None, D("103.00"), OrderStatus.ACCEPTED, f"{t.entry_order_id}-oco")]
    assert r.order(sl).request.tif.value == "GTC"
    r.tick(sec(1), 100.05)
    assert (t.status, t.entry_qty, t.entry_price) == (TradeStatus.RUNNING, D(1000), D("100.05"))
    assert {o.client_order_id for o in r.rig.broker.open_orders()} == {sl, tp}


def test_without_levels_of_its_own_a_trade_gets_the_default_stop_and_target(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path)
    r.tick(sec(0), 100.0)
    t = open_trade(r, signal(sec(0), 100.0))  # default_stop_pct 1 %, default_target_r 2
    sl, tp = legs(t)
    assert (t.stop, t.target, t.planned_qty) == (D("99.00"), D("102.00"), D(1000))
    assert (r.order(sl).request.stop_price, r.order(tp).request.limit_price) == (D("99.00"), D("102.00"))


def test_only_the_signal_may_set_the_levels_when_so_configured(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path, cfg(protective_stop="signal", profit_target="signal"))
    r.tick(sec(0), 100.0)
    bare = open_trade(r, signal(sec(0), 100.0))
    assert (bare.stop, bare.target, bare.protective) == (None, None, {})
    assert r.order(bare.entry_order_id).oco_group is None
    assert [o.client_order_id for o in r.rig.broker.open_orders()] == [bare.entry_order_id]  # no children
    own = open_trade(r, signal(sec(0), 100.0, stop=99.5, strategy="s2"))
    assert (own.stop, own.target) == (D("99.50"), None)
    assert set(own.protective) == {f"{own.entry_order_id}-sl"}


def test_the_stop_fills_at_the_broker_on_the_tick_that_crosses_it(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path)
    r.tick(sec(0), 270.0)
    t = open_trade(r, signal(sec(0), 270.0, stop=269.0, target=273.0))
    sl, tp = legs(t)
    r.tick(sec(1), 270.05)
    assert t.entry_price == D("270.05")
    r.tick(sec(2), 269.01)
    assert t.status is TradeStatus.RUNNING
    r.tick(sec(3), 269.00)
    assert (t.status, t.exit_reason, t.exit_price, t.realised) == (TradeStatus.CLOSED, ExitReason.STOP_LOSS,
                                                                   D("269.00"), D("-1050.00"))
    assert [f.price for f in r.order(sl).fills] == [D("269.00")]  # the resting stop traded, no market exit
    assert r.order(tp).status is OrderStatus.CANCELLED
    assert set(t.exit_orders) == {sl, tp}
    stored = TradeStore(r.rig.engine).load_trades()
    assert [(x.status, x.exit_reason, x.realised, x.entry_qty) for x in stored] == \
        [(TradeStatus.CLOSED, ExitReason.STOP_LOSS, D("-1050"), D(1000))]
    kinds = [e["kind"] for e in TradeStore(r.rig.engine).events(stored[0].id or 0)]
    assert (kinds[0], kinds[-1]) == ("opened", "closed")
    assert "exit_requested" not in kinds
    assert r.manager.portfolio.position("SPY") == 0


def test_target_short_trade(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path)
    r.tick(sec(0), 270.0)
    t = open_trade(r, signal(sec(0), 270.0, Side.SELL, stop=271.0, target=268.0))
    r.tick(sec(1), 270.0)
    r.tick(sec(2), 268.5)
    assert t.status is TradeStatus.RUNNING
    r.tick(sec(3), 267.99)  # the resting buy limit at 268.00 trades at the better print
    assert (t.exit_reason, t.exit_price, t.realised) == (ExitReason.PROFIT_TARGET, D("267.99"), D("2010.00"))
    assert r.order(legs(t)[0]).status is OrderStatus.CANCELLED


def test_the_trailing_stop_trails_at_the_broker(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path, cfg(trailing_stop_pct="0.5"))
    r.tick(sec(0), 100.0)
    t = open_trade(r, signal(sec(0), 100.0, stop=99.0, target=110.0))
    sl, _ = legs(t)
    leg = r.order(sl).request
    assert (leg.order_type, leg.stop_price, leg.trail_percent, leg.trail_trigger) == \
        (OrderType.TRAILING_STOP, D("99.00"), D("0.5"), None)

    def stop() -> Decimal | None:
        return r.rig.broker.order_status(sl).stop_price  # type: ignore[union-attr]

    r.tick(sec(1), 100.0)
    assert stop() == D("99.50")  # 0.5 % under the fill: tighter than the 99.00 initial stop
    r.tick(sec(2), 102.0)
    assert stop() == D("101.49")  # floor of 102 x 0.995
    r.tick(sec(3), 101.8)
    assert stop() == D("101.49")  # no new high: it stays
    assert t.status is TradeStatus.RUNNING
    r.tick(sec(4), 101.49)
    assert (t.exit_reason, t.exit_price) == (ExitReason.TRAILING_STOP, D("101.49"))


def test_a_trailing_stop_starts_at_its_trigger_and_the_strategy_sets_its_own_trail(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path, cfg(trailing_stop_pct="0.5", trailing_activation_r="1"),
                         terms={"s1": StrategyTerms(trail_pct=D("1"))})
    r.tick(sec(0), 100.0)
    t = open_trade(r, signal(sec(0), 100.0, stop=99.0, target=110.0))
    sl, _ = legs(t)
    leg = r.order(sl).request
    assert (leg.trail_percent, leg.trail_trigger) == (D("1"), D("101.00"))  # entry + 1 R

    def stop() -> Decimal | None:
        return r.rig.broker.order_status(sl).stop_price  # type: ignore[union-attr]

    r.tick(sec(1), 100.0)
    r.tick(sec(2), 100.9)
    assert stop() == D("99.00")  # below its trigger it is the initial stop
    r.tick(sec(3), 101.2)
    assert stop() == D("100.18")  # trailing 1 % from 101.20
    r.tick(sec(4), 100.1)
    assert (t.exit_reason, t.exit_price) == (ExitReason.TRAILING_STOP, D("100.10"))


def test_risk_reduction_shrinks_the_resting_orders_moves_the_stop_and_sells_the_part(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path, cfg(rr_trigger_r="1", rr_sell_pct="50"))
    r.tick(sec(0), 100.0)
    t = open_trade(r, signal(sec(0), 100.0, stop=99.0, target=103.0))
    sl, tp = legs(t)
    r.tick(sec(1), 100.0)
    broker = r.rig.broker
    calls: list[tuple[str, str]] = []
    submit, modify = broker.submit, broker.modify

    def spy_submit(order: Order) -> None:
        calls.append(("submit", order.client_order_id))
        submit(order)

    def spy_modify(cid: str, **kw: Any) -> None:
        calls.append(("modify", cid))
        modify(cid, **kw)

    broker.submit = spy_submit  # type: ignore[method-assign]
    broker.modify = spy_modify  # type: ignore[method-assign]
    r.tick(sec(2), 101.0)  # +1R: the trigger
    # the price-sensitive order first, then the resting orders shrunk (and the stop moved)
    assert [kind for kind, _ in calls] == ["submit", "modify", "modify"]
    assert {cid for kind, cid in calls if kind == "modify"} == {sl, tp}
    view = r.rig.broker.order_status
    assert (view(sl).quantity, view(sl).stop_price) == (D(500), D("100.00"))  # type: ignore[union-attr]
    assert view(tp).quantity == D(500)  # type: ignore[union-attr]
    assert (r.order(sl).quantity, r.order(sl).request.stop_price) == (D(500), D("100.00"))  # adopted
    [exit_id] = [cid for cid, why in t.exit_orders.items() if why is ExitReason.RISK_REDUCTION]
    part = r.order(exit_id)
    assert (part.request.order_type, part.request.side, part.quantity, part.request.tag) == \
        (OrderType.MARKET, Side.SELL, D(500), OrderTag.RISK_REDUCTION)
    assert (t.stop, t.rr_done) == (D("100.00"), True)
    assert "risk reduction: sold 500, stop to 100.00" in t.comment
    r.tick(sec(3), 101.0)  # the part sells at the next print
    assert (t.exit_qty, t.realised, t.status) == (D(500), D("500.00"), TradeStatus.RUNNING)
    r.tick(sec(4), 100.0)  # the break-even stop
    assert (t.status, t.exit_reason, t.realised) == (TradeStatus.CLOSED, ExitReason.STOP_LOSS, D("500.00"))
    assert r.order(tp).status is OrderStatus.CANCELLED
    assert r.manager.portfolio.position("SPY") == 0


def test_an_exit_signal_cancels_the_protective_orders_then_sends_a_market_exit(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path)
    r.tick(sec(0), 100.0)
    t = open_trade(r, signal(sec(0), 100.0, stop=99.0, target=103.0))
    sl, tp = legs(t)
    r.tick(sec(1), 100.0)
    outcome = r.manager.on_signal(signal(sec(1), 100.5, Side.SELL, exit=True))
    assert outcome.status is SignalStatus.EXECUTED
    assert (r.order(sl).status, r.order(tp).status) == (OrderStatus.CANCELLED, OrderStatus.CANCELLED)
    exit_order = r.order(f"{t.entry_order_id}-x3")
    assert (exit_order.request.order_type, exit_order.quantity, exit_order.request.reduce_only,
            exit_order.request.tag) == (OrderType.MARKET, D(1000), True, OrderTag.EXIT_RULE)
    assert t.pending_exit == exit_order.client_order_id
    r.tick(sec(2), 100.5)
    assert (t.status, t.exit_reason, t.exit_price) == (TradeStatus.CLOSED, ExitReason.EXIT_RULE, D("100.5"))
    again = r.manager.on_signal(signal(sec(3), 100.5, Side.SELL, exit=True))
    assert (again.status, again.note) == (SignalStatus.CANCELLED, EXIT_NOTE)


def test_a_manual_close_of_a_waiting_trade_cancels_its_entry(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path)
    r.tick(sec(0), 100.0)
    t = open_trade(r, signal(sec(0), 100.0, stop=99.0))
    r.manager.close_trade(t, actor="ann")
    assert r.order(t.entry_order_id).status is OrderStatus.CANCELLED
    assert (t.status, t.exit_reason, t.entry_qty) == (TradeStatus.CLOSED, ExitReason.NOT_FILLED, D(0))
    assert r.rig.broker.open_orders() == []


def test_time_exit_at_the_configured_time(tmp_path: Path) -> None:
    start = datetime(2019, 2, 11, 20, 50, tzinfo=UTC)  # 15:50 ET
    r = make_trading_rig(tmp_path, start=start)
    r.tick(start, 100.0)
    t = open_trade(r, signal(start, 100.0, stop=99.0, target=103.0))
    sl, tp = legs(t)
    r.tick(start + timedelta(seconds=1), 100.0)
    r.tick(start + timedelta(minutes=4, seconds=59), 100.1)
    assert t.status is TradeStatus.RUNNING
    r.tick(start + timedelta(minutes=5), 100.2)  # 15:55 ET: the clock's timer sends the exit, this print fills it
    assert (t.status, t.exit_reason, t.exit_price) == (TradeStatus.CLOSED, ExitReason.TIME_EXIT, D("100.2"))
    assert (r.order(sl).status, r.order(tp).status) == (OrderStatus.CANCELLED, OrderStatus.CANCELLED)


@pytest.mark.parametrize(("now", "cutoff"), [
    (datetime(2019, 2, 11, 20, 55, tzinfo=UTC), "15:55"),  # at the time exit
    (datetime(2019, 2, 11, 22, 30, tzinfo=UTC), "15:55"),  # after the close, before the next pre-market
    (datetime(2026, 11, 27, 17, 56, tzinfo=UTC), "12:55"),  # early close at 13:00 ET: 5 minutes before it
])
def test_the_door_is_closed_at_and_after_the_time_exit(tmp_path: Path, now: datetime, cutoff: str) -> None:
    r = make_trading_rig(tmp_path, start=now)
    r.tick(now, 100.0)
    outcome = r.manager.on_signal(signal(now, 100.0, stop=99.0))
    assert outcome.status is SignalStatus.CANCELLED
    assert outcome.note == f"after the time exit {cutoff} ET: no new entry until the next session"
    assert r.manager.trades() == []
    assert r.rig.broker.state.orders == {}


def test_the_door_is_open_before_the_time_exit_and_from_the_next_pre_market(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path, start=datetime(2019, 2, 11, 20, 54, 59, tzinfo=UTC))
    r.tick(r.rig.clock.now(), 100.0)
    assert r.manager.on_signal(signal(r.rig.clock.now(), 100.0, stop=99.0)).status is SignalStatus.EXECUTED
    r.tick(datetime(2019, 2, 12, 13, 0, tzinfo=UTC), 100.0)  # 08:00 ET, Tue: the next session's pre-market
    outcome = r.manager.on_signal(signal(r.rig.clock.now(), 100.0, stop=99.0, strategy="s2"))
    assert outcome.status is SignalStatus.EXECUTED
    (tmp_path / "off").mkdir()
    off = make_trading_rig(tmp_path / "off", cfg(time_exit="none"), start=datetime(2019, 2, 11, 20, 56, tzinfo=UTC))
    off.tick(off.rig.clock.now(), 100.0)
    assert off.manager.on_signal(signal(off.rig.clock.now(), 100.0, stop=99.0)).status is SignalStatus.EXECUTED


def test_a_partial_entry_cancelled_leaves_a_stop_for_exactly_what_filled(tmp_path: Path) -> None:
    base = make_rig(tmp_path, config=ExecutionConfig(sim=SimulatedBrokerConfig(participation=0.5)), state_file=None)
    r = TradingRig(base, make_manager(base))
    r.tick(sec(0), 100.0)
    t = open_trade(r, Signal("s1", "SPY", Side.BUY, sec(0), 100.0, limit_price=100.0, stop_loss=99.0,
                             take_profit=103.0))
    sl, tp = legs(t)
    r.tick(sec(1), 100.0, size=600)  # 300 of 1,000 fill (half of the print)
    assert (t.entry_qty, t.status) == (D(300), TradeStatus.RUNNING)
    r.rig.service.cancel_order(t.entry_order_id, source="user", actor="ann")
    assert (r.order(sl).quantity, r.order(tp).quantity) == (D(300), D(300))  # the broker shrank them
    r.tick(sec(2), 98.9, size=2000)
    assert [(f.quantity, f.price) for f in r.order(sl).fills] == [(D(300), D("98.9"))]
    assert (t.status, t.exit_reason, t.entry_qty, t.exit_qty) == (TradeStatus.CLOSED, ExitReason.STOP_LOSS, D(300),
                                                                  D(300))
    assert r.manager.portfolio.position("SPY") == 0


def test_a_denied_entry_creates_no_trade(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path, RiskConfig.model_validate({"account": {"limits": {"max_active_trades": 0}}}))
    r.tick(sec(0), 100.0)
    with pytest.raises(RiskDenied) as info:
        r.manager.open_trade(signal(sec(0), 100.0, stop=99.0))
    assert info.value.rule == "MAX_ACTIVE_TRADES"
    outcome = r.manager.on_signal(signal(sec(1), 100.0, stop=99.0))
    assert outcome.status is SignalStatus.FAILED
    assert outcome.note.startswith("MAX_ACTIVE_TRADES: 0 trades are running")
    assert r.manager.trades() == []
    assert TradeStore(r.rig.engine).load_trades() == []
    assert r.rig.broker.state.orders == {}


def test_the_quantity_is_capped_not_refused_and_the_outcome_says_why(tmp_path: Path) -> None:
    config = RiskConfig.model_validate({"account": {"limits": {"max_position_qty": 300}}})
    r = make_trading_rig(tmp_path, config)
    r.tick(sec(0), 100.0)
    outcome = r.manager.on_signal(signal(sec(0), 100.0, stop=99.0))
    assert outcome.status is SignalStatus.EXECUTED
    assert outcome.note == "POSITION_LIMIT: quantity 1000 capped to 300 (position 0, max_position_qty=300)"
    [t] = r.manager.trades()
    assert t.planned_qty == D(300)
    assert outcome.note in t.comment
    assert {o.quantity for o in r.rig.broker.open_orders()} == {D(300)}  # the entry and both children


def test_a_strategy_with_a_fixed_quantity_trades_it(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path, terms={"s1": StrategyTerms(FixedQuantity(quantity=D(50)))})
    r.tick(sec(0), 100.0)
    t = open_trade(r, signal(sec(0), 100.0, stop=99.0))
    assert t.planned_qty == D(50)
    assert r.order(t.entry_order_id).quantity == D(50)
    other = open_trade(r, signal(sec(0), 100.0, stop=99.0, strategy="s2"))  # sized from risk
    assert other.planned_qty == D(1000)


def test_signals_that_change_nothing_are_cancelled_with_a_note(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path)
    r.tick(sec(0), 100.0)
    nothing = r.manager.on_signal(signal(sec(0), 100.0, Side.SELL, exit=True))
    assert (nothing.status, nothing.note) == (SignalStatus.CANCELLED, EXIT_NOTE)
    assert r.manager.on_signal(signal(sec(0), 100.0, stop=99.0)).status is SignalStatus.EXECUTED
    twice = r.manager.on_signal(signal(sec(1), 100.0, stop=99.0))
    assert (twice.status, twice.note) == (SignalStatus.CANCELLED, ENTRY_NOTE)
    assert len(r.manager.trades()) == 1


def _running_and_waiting(tmp_path: Path) -> tuple[TradingRig, Trade, Trade]:
    """A rig with a running SPY trade and an AAPL trade whose entry waits (AAPL has no print yet)."""
    r = make_trading_rig(tmp_path)
    r.tick(sec(0), 100.0)
    running = open_trade(r, signal(sec(0), 100.0, stop=99.0, target=103.0))
    r.tick(sec(1), 100.0)
    waiting = open_trade(r, signal(sec(1), 50.0, stop=49.0, target=53.0, symbol="AAPL"))
    return r, running, waiting


def test_kill_switch_with_flatten_closes_everything_and_halts(tmp_path: Path) -> None:
    r, running, waiting = _running_and_waiting(tmp_path)
    assert waiting.status is TradeStatus.WAITING
    cancelled = r.manager.kill(flatten=True, reason="test", actor="pytest")
    assert cancelled == 1  # the waiting entry
    assert r.manager.state.state is State.HALTED
    assert all(r.order(cid).status is OrderStatus.CANCELLED for cid in legs(running))
    assert (waiting.status, waiting.exit_reason) == (TradeStatus.CLOSED, ExitReason.NOT_FILLED)
    assert all(r.order(cid).status is OrderStatus.CANCELLED for cid in legs(waiting))
    r.tick(sec(2), 100.2)
    assert (running.status, running.exit_reason, running.exit_price) == (TradeStatus.CLOSED, ExitReason.KILL_SWITCH,
                                                                         D("100.2"))
    assert r.rig.broker.positions() == {}
    assert r.rig.broker.open_orders() == []
    with pytest.raises(RiskDenied):
        r.manager.open_trade(signal(sec(3), 100.0, stop=99.0))


def test_kill_without_flatten_cancels_entries_but_keeps_the_protective_orders(tmp_path: Path) -> None:
    r, running, waiting = _running_and_waiting(tmp_path)
    assert r.manager.kill(flatten=False, reason="test", actor="pytest") == 1
    assert r.manager.state.state is State.HALTED
    assert r.order(waiting.entry_order_id).status is OrderStatus.CANCELLED
    sl, tp = legs(running)
    assert {o.client_order_id for o in r.rig.broker.open_orders()} == {sl, tp}
    assert running.status is TradeStatus.RUNNING
    r.tick(sec(2), 98.5)  # the stop is crossed while halted: it still trades
    assert (running.status, running.exit_reason, running.exit_price) == (TradeStatus.CLOSED, ExitReason.STOP_LOSS,
                                                                         D("98.5"))
    assert r.rig.broker.positions() == {}
    outcome = r.manager.on_signal(signal(sec(3), 98.5, stop=97.5, strategy="s2"))
    assert outcome.status is SignalStatus.FAILED
    assert outcome.note.startswith("TRADING_HALTED")


def test_halted_sends_nothing_new_but_the_stop_of_a_running_trade_keeps_working(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path)
    svc = r.rig.service
    r.tick(sec(0), 100.0)
    working = svc.create_order(OrderRequest("SPY", Side.BUY, D(10), OrderType.LIMIT, limit_price=D("90.00"),
                                            strategy="m"))
    t = open_trade(r, signal(sec(0), 100.0, stop=99.0, target=103.0))
    sl, _ = legs(t)
    r.tick(sec(1), 100.0)
    submitted = len(r.rig.broker.state.orders)
    r.manager.state.halt("test", "pytest")
    orders = [svc.create_order(OrderRequest("SPY", Side.SELL, D(1000), OrderType.MARKET, strategy="s1",
                                            reduce_only=True, tag=OrderTag.STOP_LOSS)),
              svc.create_order(OrderRequest("SPY", Side.BUY, D(1), OrderType.MARKET, strategy="m")),
              svc.submit_bracket(OrderRequest("SPY", Side.BUY, D(1), OrderType.LIMIT, limit_price=D("99.00"),
                                              strategy="m"),
                                 [OrderRequest("SPY", Side.SELL, D(1), OrderType.STOP, stop_price=D("98.00"),
                                               tag=OrderTag.STOP_LOSS)]).entry]
    assert all(o.status is OrderStatus.REJECTED and "TRADING_HALTED" in o.reason for o in orders)
    with pytest.raises(RiskDenied):
        svc.modify_order(working.client_order_id, limit_price=D("91.00"))
    svc.modify_order(sl, stop_price=D("99.50"))  # tightening a protective stop is allowed
    assert r.rig.broker.order_status(sl).stop_price == D("99.50")  # type: ignore[union-attr]
    r.manager.exit(t, ExitReason.MANUAL)  # no exit may leave: the stop stays
    assert r.order(sl).is_open
    r.tick(sec(2), 99.4)  # the stop is crossed: the broker fills it
    assert (t.status, t.exit_reason, t.exit_price) == (TradeStatus.CLOSED, ExitReason.STOP_LOSS, D("99.4"))
    assert len(r.rig.broker.state.orders) == submitted
    svc.cancel_order(working.client_order_id)  # cancels always pass
    assert svc.orders[working.client_order_id].status is OrderStatus.CANCELLED


def test_status_per_strategy_and_symbol(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path)
    r.tick(sec(0), 100.0)
    r.manager.on_signal(signal(sec(0), 100.0, stop=99.0, target=103.0))
    rows = r.manager.status()
    assert [(x.strategy, x.symbol, x.last_signal, x.trade_status, x.order_status) for x in rows] == \
        [("s1", "SPY", "Long", "Waiting", "Placed")]
    r.tick(sec(1), 100.0)  # the entry filled; its last order is now the resting target
    assert (r.manager.status()[0].trade_status, r.manager.status()[0].order_status) == ("Running", "Placed")
    r.tick(sec(2), 98.0)  # closed by its stop (the target cancelled): the stop is the order shown
    assert (r.manager.status()[0].trade_status, r.manager.status()[0].order_status) == ("Closed", "Success")
    r.manager.on_signal(signal(sec(3), 98.0, stop=97.0, symbol="AAPL"))
    r.manager.kill(flatten=False, reason="test", actor="pytest")  # its entry never filled: cancelled with it
    assert [(x.symbol, x.trade_status, x.order_status) for x in r.manager.status()] == [
        ("AAPL", "Closed", "Failed"), ("SPY", "Closed", "Success")]


def test_drawdown_limit_halts_trading(tmp_path: Path) -> None:
    config = RiskConfig.model_validate({"breakers": {"max_drawdown_pct": "0.5"},
                                        "account": {"limits": {"daily_loss_limit_pct": None}}})
    r = make_trading_rig(tmp_path, config)
    r.tick(sec(0), 100.0)
    t = open_trade(r, signal(sec(0), 100.0, stop=99.0, target=103.0))
    r.tick(sec(1), 100.0)
    r.tick(sec(2), 98.0)  # gap through the stop: 1,000 x -2 = -2,000 - charges > 0.5 % of 100,000
    assert (t.exit_reason, t.exit_price) == (ExitReason.STOP_LOSS, D("98.0"))
    assert r.manager.state.state is State.HALTED
    assert "RM-Max-sp" in r.manager.state.history[-1].reason


def test_sweep_runs_a_kill_requested_by_another_process(tmp_path: Path) -> None:
    from theo.persistence.repositories.trading_state import TradingStateRepository
    from theo.risk.state import StateChange

    r = make_trading_rig(tmp_path)
    r.tick(sec(0), 100.0)
    t = open_trade(r, signal(sec(0), 100.0, stop=99.0, target=103.0))
    r.tick(sec(1), 100.0)
    TradingStateRepository(r.rig.engine).append(StateChange(sec(1), State.HALTED, State.ACTIVE, "panic", "cli:ann"),
                                                 kill=True, flatten=True)
    r.manager.sweep(sec(2))
    r.tick(sec(3), 100.3)
    assert (t.exit_reason, t.exit_price) == (ExitReason.KILL_SWITCH, D("100.3"))
    assert r.manager.state.state is State.HALTED
    assert r.manager.state.refresh() is None  # handled once


def test_the_sweep_re_places_a_stop_cancelled_behind_the_engine_back(tmp_path: Path) -> None:
    r = make_trading_rig(tmp_path, cfg(sweep_seconds=5))
    r.tick(sec(0), 100.0)
    t = open_trade(r, signal(sec(0), 100.0, stop=99.0, target=103.0))
    sl, tp = legs(t)
    r.tick(sec(1), 100.0)
    r.rig.broker.cancel(sl)  # someone cancels the stop at the broker
    assert r.order(sl).status is OrderStatus.CANCELLED
    assert not r.manager.is_protected(t)
    r.rig.clock.advance_to(sec(6))
    r.manager.sweep(sec(6))  # the periodic sweep finds the trade without a stop
    again = r.order(f"{t.entry_order_id}-sl2")
    assert (again.request.order_type, again.request.side, again.quantity, again.request.stop_price,
            again.status) == (OrderType.STOP, Side.SELL, D(1000), D("99.00"), OrderStatus.ACCEPTED)
    assert r.manager.is_protected(t)
    assert "protective stop re-placed (ACCEPTED)" in t.comment
    r.tick(sec(7), 98.9)
    assert (t.status, t.exit_reason, t.exit_price) == (TradeStatus.CLOSED, ExitReason.STOP_LOSS, D("98.9"))
    assert r.order(tp).status is OrderStatus.CANCELLED  # the target of a closed trade does not stay behind
    r.tick(sec(8), 103.5)
    assert r.rig.broker.positions() == {}


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


def test_a_strategy_with_its_own_time_exit_is_closed_by_it_and_the_door_agrees(tmp_path: Path) -> None:
    config = RiskConfig.model_validate({"trade": {"time_exit": "15:55:00"},
                                        "trade_by_strategy": {"swing": {"time_exit": "none"},
                                                              "early": {"time_exit": "15:00:00"}}})
    start = datetime(2019, 2, 11, 19, 50, tzinfo=UTC)  # 14:50 ET
    r = make_trading_rig(tmp_path, config, start=start)
    r.tick(start, 100.0)
    early = open_trade(r, signal(start, 100.0, stop=99.0, strategy="early"))
    swing = open_trade(r, signal(start, 100.0, stop=99.0, strategy="swing"))
    day = open_trade(r, signal(start, 100.0, stop=99.0, strategy="day"))
    r.tick(start + timedelta(seconds=1), 100.0)
    r.tick(datetime(2019, 2, 11, 20, 0, tzinfo=UTC), 100.1)  # 15:00 ET: only "early" goes
    assert (early.status, early.exit_reason) == (TradeStatus.CLOSED, ExitReason.TIME_EXIT)
    assert (swing.status, day.status) == (TradeStatus.RUNNING, TradeStatus.RUNNING)
    late = datetime(2019, 2, 11, 20, 55, tzinfo=UTC)  # 15:55 ET: the default time exit
    r.tick(late, 100.2)
    assert (day.status, day.exit_reason) == (TradeStatus.CLOSED, ExitReason.TIME_EXIT)
    assert swing.status is TradeStatus.RUNNING  # held overnight, as its door says
    assert r.manager.on_signal(signal(late, 100.2, stop=99.0, strategy="swing2")).status is SignalStatus.CANCELLED
    r.tick(datetime(2019, 2, 12, 14, 31, tzinfo=UTC), 100.3)
    assert swing.status is TradeStatus.RUNNING


def test_a_positional_strategy_holds_overnight_while_an_intraday_one_is_closed_at_the_time_exit(
        tmp_path: Path) -> None:
    start = datetime(2019, 2, 11, 20, 50, tzinfo=UTC)  # 15:50 ET, before the default 15:55 time exit
    r = make_trading_rig(tmp_path, cfg(), start=start,
                         terms={"swing": StrategyTerms(ss_type="donchian_breakout", holds_overnight=True)})
    r.tick(start, 100.0)
    swing = open_trade(r, signal(start, 100.0, stop=99.0, strategy="swing"))
    day = open_trade(r, signal(start, 100.0, stop=99.0, strategy="day"))
    r.tick(start + timedelta(seconds=1), 100.0)
    late = datetime(2019, 2, 11, 20, 56, tzinfo=UTC)
    r.tick(late, 100.1)
    assert (day.status, day.exit_reason) == (TradeStatus.CLOSED, ExitReason.TIME_EXIT)
    assert swing.status is TradeStatus.RUNNING
    assert r.manager.on_signal(signal(late, 100.1, stop=99.0, strategy="day")).note.startswith("after the time exit")
    assert r.manager.on_signal(signal(late, 100.1, stop=99.0, strategy="swing")).note == ENTRY_NOTE  # not the door
    r.tick(datetime(2019, 2, 12, 14, 31, tzinfo=UTC), 100.2)  # next morning
    assert swing.status is TradeStatus.RUNNING
