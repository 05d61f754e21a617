"""The order service: journal first, idempotent ids, risk denial, modify/cancel, brackets, OCO, recovery."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from theo.core.errors import BrokerError, OrderError, OrderValidationError, RiskDenied
from theo.model.enums import OrderStatus as S
from theo.model.enums import TimeInForce
from theo.model.orders import Order, OrderRequest

from .helpers import T0, bar, make_rig, minute, req

D = Decimal


def test_intent_is_journaled_before_it_is_sent(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    seen: list[str | None] = []
    real_submit = rig.broker.submit

    def spy(order: Order) -> None:
        row = rig.journal.load_order(order.client_order_id)
        seen.append(row.status.value if row else None)
        real_submit(order)

    rig.broker.submit = spy  # type: ignore[method-assign]
    order = rig.service.create_order(req("BUY", 10))
    assert seen == ["SUBMITTED"]
    kinds = [(e["kind"], e["status_to"]) for e in rig.journal.events(order.client_order_id)]
    assert kinds == [("intent", "CREATED"), ("submit", "SUBMITTED"), ("accepted", "ACCEPTED")]
    assert rig.journal.broker_ids(order.client_order_id) == [("sim", "1", None)]


def test_client_order_ids_are_deterministic_and_unique(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    a = rig.service.create_order(req("BUY", 10))
    b = rig.service.create_order(req("BUY", 10, strategy="corr"))
    c = rig.service.create_order(req("BUY", 10))
    assert (a.client_order_id, b.client_order_id, c.client_order_id) == (
        "man-20190211-0001", "corr-20190211-0001", "man-20190211-0002")
    s1 = rig.service.create_order(req("BUY", 10, strategy="corr", signal_id=42, tag="entry"))
    s2 = rig.service.create_order(req("BUY", 10, strategy="corr", signal_id=42, tag="entry"))
    assert s1.client_order_id == "corr-s42-entry"
    assert s2 is s1
    assert len(rig.broker.state.orders) == 4


def test_sequence_continues_after_a_restart(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    rig.service.create_order(req("BUY", 10))
    rig.service.stop()
    again = make_rig(tmp_path, engine=rig.engine)
    assert again.service.create_order(req("BUY", 10)).client_order_id == "man-20190211-0002"


def test_risk_denial_rejects_locally_journals_and_sends_nothing(tmp_path: Path) -> None:
    def deny(request: OrderRequest, existing: Order | None) -> None:
        raise RiskDenied("max_positions", "3 trades open, the limit is 3")

    rig = make_rig(tmp_path, pre_trade=deny)
    order = rig.service.create_order(req("BUY", 10))
    assert order.status is S.REJECTED
    assert "max_positions" in order.reason
    assert rig.broker.state.orders == {}
    assert rig.journal.load_order(order.client_order_id).status is S.REJECTED  # type: ignore[union-attr]
    assert rig.published == [("orders.rejected", S.REJECTED)]


def test_no_order_before_the_service_has_reconciled(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, start_service=False)
    with pytest.raises(OrderError, match="call start"):
        rig.service.create_order(req("BUY", 10))


def test_validation_error_journals_nothing(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    with pytest.raises(OrderValidationError, match="tick size"):
        rig.service.create_order(req("BUY", 10, "LIMIT", limit_price=D("271.005")))
    assert rig.journal.load_orders() == []


def test_modify_price_and_quantity(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    order = rig.service.create_order(req("BUY", 10, "LIMIT", limit_price=D("270.00")))
    rig.service.modify_order(order.client_order_id, quantity=D(20), limit_price=D("271.10"))
    assert (order.quantity, order.request.limit_price) == (D(20), D("271.10"))
    stored = rig.journal.load_order(order.client_order_id)
    assert stored is not None
    assert stored.request.limit_price == D("271.10")
    assert stored.quantity == D(20)
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34))
    assert order.avg_fill_price == D("271.10")
    assert order.filled_qty == D(20)
    with pytest.raises(OrderError, match="only a working order can be modified"):
        rig.service.modify_order(order.client_order_id, limit_price=D("270.00"))


def test_modify_denied_by_risk_is_journaled(tmp_path: Path) -> None:
    calls: list[Order | None] = []

    def check(request: OrderRequest, existing: Order | None) -> None:
        calls.append(existing)
        if request.quantity > 50:
            raise RiskDenied("size", "too big")

    rig = make_rig(tmp_path, pre_trade=check)
    order = rig.service.create_order(req("BUY", 10, "LIMIT", limit_price=D("270.00")))
    with pytest.raises(RiskDenied):
        rig.service.modify_order(order.client_order_id, quantity=D(100))
    assert calls == [None, order]
    assert order.quantity == D(10)
    assert rig.journal.events(order.client_order_id)[-1]["kind"] == "modify_denied"


def test_cancel_and_cancel_again(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    order = rig.service.create_order(req("BUY", 10, "LIMIT", limit_price=D("270.00")))
    rig.service.cancel_order(order.client_order_id, source="user", actor="alice")
    assert order.status is S.CANCELLED
    events = rig.journal.events(order.client_order_id)
    assert [e["status_to"] for e in events][-2:] == ["PENDING_CANCEL", "CANCELLED"]
    assert events[-2]["actor"] == "alice"
    assert events[-2]["source"] == "user"
    assert rig.service.cancel_order(order.client_order_id).status is S.CANCELLED  # no-op
    with pytest.raises(OrderError, match="no order 'nope'"):
        rig.service.cancel_order("nope")


def test_bracket_exits_go_out_with_the_first_fill_and_grow_with_the_entry(tmp_path: Path) -> None:
    from theo.execution.config import ExecutionConfig, SimulatedBrokerConfig

    rig = make_rig(tmp_path, config=ExecutionConfig(sim=SimulatedBrokerConfig(participation=0.1)))
    br = rig.service.create_bracket_order(req("BUY", 150, "LIMIT", limit_price=D("271.20"), tif=TimeInForce.GTC),
                                          stop_loss=D("270.50"), take_profit=D("272.00"))
    assert (br.entry.status, br.stop.status, br.target.status) == (S.ACCEPTED, S.CREATED, S.CREATED)
    assert br.stop.oco_group == br.target.oco_group
    assert br.stop.parent_id == br.entry.client_order_id
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34, v=1_000))  # 100 of 150 at the 271.19 open
    assert br.entry.filled_qty == D(100)
    assert (br.stop.status, br.stop.quantity, br.target.quantity) == (S.ACCEPTED, D(100), D(100))
    assert br.stop.request.reduce_only
    rig.feed(bar(minute(1), 271.15, 271.19, 271.10, 271.15, v=1_000))  # the other 50 at 271.15
    assert br.entry.status is S.FILLED
    assert (br.stop.quantity, br.target.quantity) == (D(150), D(150))
    assert rig.broker.order_status(br.stop.client_order_id).quantity == D(150)  # type: ignore[union-attr]
    rig.feed(bar(minute(2), 271.5, 272.10, 271.4, 272.0, v=10_000))  # target 272.00 traded through
    assert (br.target.status, br.stop.status) == (S.FILLED, S.CANCELLED)
    assert rig.service.positions() == {}


def test_bracket_entry_cancelled_after_a_partial_fill_keeps_exits_for_what_filled(tmp_path: Path) -> None:
    from theo.execution.config import ExecutionConfig, SimulatedBrokerConfig

    rig = make_rig(tmp_path, config=ExecutionConfig(sim=SimulatedBrokerConfig(participation=0.1)))
    br = rig.service.create_bracket_order(req("BUY", 150, "LIMIT", limit_price=D("271.20"), tif=TimeInForce.GTC),
                                          stop_loss=D("270.50"), take_profit=D("272.00"))
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34, v=1_000))
    rig.service.cancel_order(br.entry.client_order_id)
    assert (br.entry.status, br.entry.filled_qty) == (S.CANCELLED, D(100))
    assert (br.stop.status, br.stop.quantity) == (S.ACCEPTED, D(100))


def test_bracket_entry_without_fill_drops_its_exits(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    br = rig.service.create_bracket_order(req("BUY", 10, "LIMIT", limit_price=D("270.00")), D("269.00"), D("271.00"))
    rig.service.cancel_order(br.entry.client_order_id)
    assert (br.stop.status, br.target.status) == (S.CANCELLED, S.CANCELLED)
    assert rig.broker.state.orders.keys() == {br.entry.client_order_id}


def test_bracket_sides_are_checked(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    with pytest.raises(OrderValidationError, match=r"stop_loss=272\.00 must be below"):
        rig.service.create_bracket_order(req("BUY", 10, "LIMIT", limit_price=D("271.00")), D("272.00"), D("273.00"))


def test_bracket_exit_can_be_moved_before_it_is_sent(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    br = rig.service.create_bracket_order(req("BUY", 10, "LIMIT", limit_price=D("270.00")), D("269.00"), D("271.00"))
    rig.service.modify_order(br.stop.client_order_id, stop_price=D("269.50"))
    assert rig.journal.load_order(br.stop.client_order_id).request.stop_price == D("269.50")  # type: ignore[union-attr]


def test_failed_submit_leaves_order_unknown_and_broker_is_asked_not_resent(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    real_submit = rig.broker.submit
    calls = []

    def flaky(order: Order) -> None:
        calls.append(order.client_order_id)
        real_submit(order)  # the broker got it ...
        raise BrokerError("timeout waiting for the answer")  # ... but we never heard back

    rig.broker.submit = flaky  # type: ignore[method-assign]
    order = rig.service.create_order(req("BUY", 10))
    # the accepted event came before the timeout, so the order is already known to be working
    assert order.status is S.ACCEPTED
    lost = rig.service.create_order(req("BUY", 5, symbol="AAPL"))
    assert lost.status is S.ACCEPTED

    def dead(order: Order) -> None:
        calls.append(order.client_order_id)
        raise BrokerError("connection reset")

    rig.broker.submit = dead  # type: ignore[method-assign]
    gone = rig.service.create_order(req("BUY", 7))
    assert gone.status is S.UNKNOWN
    assert ("orders.unknown", S.UNKNOWN) in rig.published
    resolved = rig.service.get_order_status(gone.client_order_id)
    assert resolved.status is S.REJECTED
    assert "not sent again" in resolved.reason
    assert calls.count(gone.client_order_id) == 1


def test_replaying_broker_events_changes_nothing(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    a = rig.service.create_order(req("BUY", 100))
    b = rig.service.create_order(req("BUY", 10, "LIMIT", limit_price=D("270.00")))
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34))
    rig.service.cancel_order(b.client_order_id)
    before = ([rig.journal.events(o.client_order_id) for o in (a, b)], rig.journal.fills(), rig.journal.positions())
    for event in list(rig.events) * 2:
        rig.service.on_broker_event(event)
    after = ([rig.journal.events(o.client_order_id) for o in (a, b)], rig.journal.fills(), rig.journal.positions())
    assert after == before
    assert (a.status, b.status) == (S.FILLED, S.CANCELLED)


def test_reconcile_recovers_events_the_journal_missed(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    order = rig.service.create_order(req("BUY", 100, tif=TimeInForce.GTC))
    other = rig.service.create_order(req("BUY", 10, "LIMIT", limit_price=D("270.00"), tif=TimeInForce.GTC))
    rig.broker._handlers.clear()  # the engine dies: events are no longer heard
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34))
    rig.broker.cancel(other.client_order_id)
    assert rig.journal.positions() == {}
    again = make_rig(tmp_path, engine=rig.engine, start_service=False)  # restart: same store and broker file
    report = again.service.start()
    assert report.fills_added == ["SIM-00000001"]
    assert again.journal.positions() == {"SPY": D(100)} == {k: p.quantity for k, p in again.broker.positions().items()}
    assert again.journal.load_order(order.client_order_id).status is S.FILLED  # type: ignore[union-attr]
    assert again.journal.load_order(other.client_order_id).status is S.CANCELLED  # type: ignore[union-attr]
    assert report.clean
    assert "1 fill(s) added" in report.summary()


def test_reconcile_drops_intents_never_sent(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    rig.broker.submit = lambda order: (_ for _ in ()).throw(SystemExit)  # type: ignore[method-assign,assignment]
    with pytest.raises(SystemExit):
        rig.service.create_order(req("BUY", 10))
    # The process 'died' after SUBMITTED was journaled and before the broker heard of it.
    again = make_rig(tmp_path, engine=rig.engine)
    order = again.journal.load_orders()[0]
    assert order.status is S.REJECTED
    assert "never received" in order.reason
    assert again.broker.state.orders == {}


def test_bus_topics(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    rig.service.create_order(req("BUY", 10))
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34))
    assert rig.published == [("orders.accepted", S.ACCEPTED), ("orders.filled", S.FILLED)]


def test_recovery_sends_bracket_exits_for_a_fill_the_engine_missed(tmp_path: Path) -> None:
    from theo.execution.config import ExecutionConfig, SimulatedBrokerConfig

    cfg = ExecutionConfig(sim=SimulatedBrokerConfig(participation=0.1))
    rig = make_rig(tmp_path, config=cfg)
    br = rig.service.create_bracket_order(req("BUY", 150, "LIMIT", limit_price=D("271.20"), tif=TimeInForce.GTC),
                                          stop_loss=D("270.50"), take_profit=D("272.00"))
    rig.broker._handlers.clear()  # the engine dies before it hears of the fill
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34, v=1_000))
    again = make_rig(tmp_path, engine=rig.engine, config=cfg, start_service=False)
    again.clock.advance_to(minute(1))
    report = again.service.start()
    assert report.fills_added == ["SIM-00000001"]
    assert report.clean
    stop = again.service.get_order_status(br.stop.client_order_id)
    assert (stop.status, stop.quantity) == (S.ACCEPTED, D(100))
    assert again.broker.order_status(br.target.client_order_id).quantity == D(100)  # type: ignore[union-attr]


def test_modify_the_stop_of_a_working_stop_order(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    order = rig.service.create_order(req("SELL", 10, "STOP", stop_price=D("270.00"), tif=TimeInForce.GTC))
    rig.service.modify_order(order.client_order_id, stop_price=D("271.10"))
    assert order.request.stop_price == D("271.10")
    at_broker = rig.broker.order_status(order.client_order_id)
    assert at_broker is not None
    assert (at_broker.stop_price, at_broker.revision) == (D("271.10"), 1)
    stored = rig.journal.load_order(order.client_order_id)
    assert stored is not None
    assert (stored.request.stop_price, stored.revision) == (D("271.10"), 1)
    kinds = [e["kind"] for e in rig.journal.events(order.client_order_id)]
    assert kinds[-2:] == ["modify_requested", "modified"]
    with pytest.raises(OrderValidationError, match="tick size"):
        rig.service.modify_order(order.client_order_id, stop_price=D("271.105"))
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34))  # low 271.07 crosses the new stop
    assert order.avg_fill_price == D("271.10")


def test_every_broker_event_reaches_the_journal_and_the_bus(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from theo.execution.config import ExecutionConfig, SimulatedBrokerConfig

    start = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # an early-close day (13:00 ET = 18:00 UTC)
    rig = make_rig(tmp_path, start=start, config=ExecutionConfig(sim=SimulatedBrokerConfig(participation=0.1)))
    del rig.broker.instruments["AAPL"]  # the broker does not trade it: it rejects the order
    rejected = rig.service.create_order(req("BUY", 10, symbol="AAPL"))
    assert rejected.status is S.REJECTED
    assert "no such tradable instrument" in rejected.reason
    big = rig.service.create_order(req("BUY", 150))
    day = rig.service.create_order(req("BUY", 10, "LIMIT", limit_price=D("100.00")))
    gone = rig.service.create_order(req("BUY", 10, "LIMIT", limit_price=D("100.00"), tif=TimeInForce.GTC))
    rig.service.cancel_order(gone.client_order_id)
    rig.feed(bar(start, 271.19, 271.34, 271.07, 271.34, v=1_000))
    rig.feed(bar(minute(1, start), 271.32, 271.32, 271.22, 271.24, v=1_000))
    rig.broker.on_time(datetime(2026, 11, 27, 18, 0, tzinfo=UTC))
    assert (big.status, day.status) == (S.FILLED, S.EXPIRED)
    topics = [t for t, _ in rig.published]
    for topic in ("orders.rejected", "orders.accepted", "orders.partially_filled", "orders.filled",
                  "orders.cancelled", "orders.expired"):
        assert topic in topics, topic
    last = rig.journal.events(rejected.client_order_id)[-1]
    assert (last["kind"], last["status_to"], last["source"]) == ("rejected", "REJECTED", "broker")


def test_sequence_ids_count_only_their_own_strategy(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    assert rig.service.create_order(req("BUY", 1, strategy="aXb")).client_order_id == "aXb-20190211-0001"
    assert rig.service.create_order(req("BUY", 1, strategy="AXB")).client_order_id == "AXB-20190211-0001"
    # "_" is a LIKE wildcard and LIKE ignores case: neither may bump this strategy's count
    rig.service.stop()
    again = make_rig(tmp_path, engine=rig.engine)
    assert again.service.create_order(req("BUY", 1, strategy="a_b")).client_order_id == "a_b-20190211-0001"
    assert again.service.create_order(req("BUY", 1, strategy="axb")).client_order_id == "axb-20190211-0001"


def test_unknown_order_the_broker_did_receive_is_adopted_not_resent(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    real_submit = rig.broker.submit
    sent: list[str] = []

    def silent(order: Order) -> None:
        sent.append(order.client_order_id)
        handlers = list(rig.broker._handlers)
        rig.broker._handlers.clear()  # the broker takes it, but its answer is lost ...
        try:
            real_submit(order)
        finally:
            rig.broker._handlers[:] = handlers
        raise BrokerError("timeout waiting for the answer")  # ... and we time out

    rig.broker.submit = silent  # type: ignore[method-assign]
    order = rig.service.create_order(req("BUY", 10, "LIMIT", limit_price=D("270.00"), tif=TimeInForce.GTC))
    assert order.status is S.UNKNOWN
    assert rig.service.get_order_status(order.client_order_id).status is S.ACCEPTED
    assert rig.journal.broker_ids(order.client_order_id) == [("sim", "1", None)]
    assert sent == [order.client_order_id]
    assert len(rig.broker.state.orders) == 1
    kinds = [(e["kind"], e["status_to"]) for e in rig.journal.events(order.client_order_id)]
    assert kinds[-2:] == [("submit_failed", "UNKNOWN"), ("reconciled", "ACCEPTED")]


def test_an_intent_never_sent_is_dropped_at_restart(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    intent = Order("man-20190211-0001", req("BUY", 10), created_at=T0)
    rig.journal.record_intent(intent, T0)  # the process died right after journaling the intent
    rig.service.stop()
    again = make_rig(tmp_path, engine=rig.engine, start_service=False)
    report = again.service.start()
    assert report.dropped_intents == ["man-20190211-0001"]
    stored = again.journal.load_order("man-20190211-0001")
    assert stored is not None
    assert stored.status is S.CANCELLED
    assert "not sent now" in stored.reason
    assert again.broker.state.orders == {}
