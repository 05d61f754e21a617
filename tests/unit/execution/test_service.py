"""The order service: journal first, idempotent ids, risk denial, modify/cancel, brackets, OCO, recovery."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pytest

from theo.core.errors import BrokerError, OrderError, OrderValidationError, RiskDenied
from theo.model.enums import OrderStatus as S
from theo.model.enums import TimeInForce
from theo.model.orders import Order, OrderRequest, OrderTag

from .helpers import T0, bar, children, make_rig, minute, req

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
    s1 = rig.service.create_order(req("BUY", 10, strategy="corr", signal_id=42, tag=OrderTag.ENTRY))
    s2 = rig.service.create_order(req("BUY", 10, strategy="corr", signal_id=42, tag=OrderTag.ENTRY))
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


def test_a_bracket_is_journaled_and_sent_whole_and_its_children_work_once_the_entry_fills(tmp_path: Path) -> None:
    from theo.execution.config import ExecutionConfig, SimulatedBrokerConfig

    rig = make_rig(tmp_path, config=ExecutionConfig(sim=SimulatedBrokerConfig(participation=0.1)))
    sent: list[list[str]] = []
    real = rig.broker.submit_bracket

    def spy(parent: Order, legs: Sequence[Order]) -> None:
        sent.append([o.client_order_id for o in (parent, *legs)])
        # every leg is in the journal, SUBMITTED, before the broker hears of any of them
        assert [rig.journal.load_order(o.client_order_id).status for o in (parent, *legs)] == [  # type: ignore[union-attr]
            S.SUBMITTED] * 3
        real(parent, legs)

    rig.broker.submit_bracket = spy  # type: ignore[method-assign]
    br = rig.service.submit_bracket(req("BUY", 150, "LIMIT", limit_price=D("271.20"), tif=TimeInForce.GTC),
                                    children("BUY", 150, stop="270.50", target="272.00"))
    stop, target = br.children
    cid = br.entry.client_order_id
    assert sent == [[cid, f"{cid}-sl", f"{cid}-tp"]]
    assert (stop.client_order_id, target.client_order_id) == (f"{cid}-sl", f"{cid}-tp")
    assert (br.entry.status, stop.status, target.status) == (S.ACCEPTED, S.ACCEPTED, S.ACCEPTED)
    assert stop.oco_group == target.oco_group == f"{cid}-oco"
    assert stop.parent_id == target.parent_id == cid
    assert stop.request.reduce_only
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34, v=1_000))  # 100 of 150 at the 271.19 open
    assert br.entry.filled_qty == D(100)
    rig.feed(bar(minute(1), 271.15, 271.19, 271.10, 271.15, v=1_000))  # the other 50 at 271.15
    assert br.entry.status is S.FILLED
    rig.feed(bar(minute(2), 271.5, 272.10, 271.4, 272.0, v=10_000))  # target 272.00 traded through
    assert (target.status, target.filled_qty, stop.status) == (S.FILLED, D(150), S.CANCELLED)
    assert rig.service.positions() == {}
    assert rig.journal.load_order(stop.client_order_id).status is S.CANCELLED  # type: ignore[union-attr]


def test_a_bracket_for_the_same_signal_is_sent_once(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    entry = req("BUY", 10, "LIMIT", limit_price=D("270.00"), strategy="corr", signal_id=7, tag=OrderTag.ENTRY)
    legs = children("BUY", 10, stop="269.00", target="271.00", strategy="corr", signal_id=7)
    first = rig.service.submit_bracket(entry, legs)
    again = rig.service.submit_bracket(entry, legs)
    assert first.entry.client_order_id == "corr-s7-entry"
    assert again.entry is first.entry
    assert again.children == first.children
    assert len(rig.broker.state.orders) == 3


def test_a_denied_bracket_entry_rejects_its_children_and_sends_nothing(tmp_path: Path) -> None:
    checked: list[str] = []

    def deny(request: OrderRequest, existing: Order | None) -> None:
        checked.append(request.tag.value)
        raise RiskDenied("MAX_ACTIVE_TRADES", "5 trades are running")

    rig = make_rig(tmp_path, pre_trade=deny)
    br = rig.service.submit_bracket(req("BUY", 10, tag=OrderTag.ENTRY), children("BUY", 10, stop="269.00"))
    assert checked == ["entry"]  # only the entry is checked: a child can only reduce
    assert [(o.status, o.reason) for o in (br.entry, *br.children)] == \
        [(S.REJECTED, "risk denied: MAX_ACTIVE_TRADES: 5 trades are running")] * 2
    assert rig.broker.state.orders == {}


def test_a_bracket_the_broker_may_not_have_received_is_unknown_until_asked(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)

    def dead(parent: Order, legs: Sequence[Order]) -> None:
        raise BrokerError("connection reset")

    rig.broker.submit_bracket = dead  # type: ignore[method-assign]
    br = rig.service.submit_bracket(req("BUY", 10), children("BUY", 10, stop="269.00", target="273.00"))
    assert [o.status for o in (br.entry, *br.children)] == [S.UNKNOWN] * 3
    resolved = [rig.service.get_order_status(o.client_order_id) for o in (br.entry, *br.children)]
    assert [o.status for o in resolved] == [S.REJECTED] * 3  # the broker never had them: not sent again
    assert rig.broker.state.orders == {}


def test_bracket_entry_cancelled_after_a_partial_fill_keeps_children_for_what_filled(tmp_path: Path) -> None:
    from theo.execution.config import ExecutionConfig, SimulatedBrokerConfig

    rig = make_rig(tmp_path, config=ExecutionConfig(sim=SimulatedBrokerConfig(participation=0.1)))
    br = rig.service.submit_bracket(req("BUY", 150, "LIMIT", limit_price=D("271.20"), tif=TimeInForce.GTC),
                                    children("BUY", 150, stop="270.50", target="272.00"))
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34, v=1_000))
    rig.service.cancel_order(br.entry.client_order_id)
    assert (br.entry.status, br.entry.filled_qty) == (S.CANCELLED, D(100))
    stop, target = br.children
    assert [(o.status, o.quantity) for o in br.children] == [(S.ACCEPTED, D(100))] * 2
    kinds = [e["kind"] for e in rig.journal.events(stop.client_order_id)]
    assert kinds[-1] == "modified"  # the broker's change of the quantity, adopted
    assert rig.broker.order_status(target.client_order_id).quantity == D(100)  # type: ignore[union-attr]


def test_bracket_entry_without_fill_drops_its_children(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    br = rig.service.submit_bracket(req("BUY", 10, "LIMIT", limit_price=D("270.00")),
                                    children("BUY", 10, stop="269.00", target="271.00"))
    rig.service.cancel_order(br.entry.client_order_id)
    assert [o.status for o in br.children] == [S.CANCELLED, S.CANCELLED]
    assert rig.broker.open_orders() == []
    assert rig.journal.load_orders(open_only=True) == []


def test_bracket_sides_and_children_are_checked(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    with pytest.raises(OrderValidationError, match=r"stop_loss=272\.00 must be below"):
        rig.service.submit_bracket(req("BUY", 10, "LIMIT", limit_price=D("271.00")),
                                   children("BUY", 10, stop="272.00", target="273.00"))
    with pytest.raises(OrderValidationError, match=r"stop_loss=270\.00 must be above"):
        rig.service.submit_bracket(req("SELL", 10, "LIMIT", limit_price=D("271.00")),
                                   children("SELL", 10, stop="270.00", target="269.00"))
    with pytest.raises(OrderValidationError, match="for the entry's quantity"):
        rig.service.submit_bracket(req("BUY", 10), children("BUY", 5, stop="269.00"))
    with pytest.raises(OrderValidationError, match="on the other side"):
        rig.service.submit_bracket(req("BUY", 10), [req("BUY", 10, "STOP", stop_price=D("269.00"),
                                                        tag=OrderTag.STOP_LOSS)])
    with pytest.raises(OrderValidationError, match="stop_loss or take_profit"):
        rig.service.submit_bracket(req("BUY", 10), [req("SELL", 10, "STOP", stop_price=D("269.00"),
                                                        tag=OrderTag.EXIT_RULE)])
    assert rig.journal.load_orders() == []


def test_a_bracket_child_can_be_moved_while_its_entry_waits(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    br = rig.service.submit_bracket(req("BUY", 10, "LIMIT", limit_price=D("270.00")),
                                    children("BUY", 10, stop="269.00", target="271.00"))
    stop, _ = br.children
    rig.service.modify_order(stop.client_order_id, stop_price=D("269.50"))
    assert rig.journal.load_order(stop.client_order_id).request.stop_price == D("269.50")  # type: ignore[union-attr]
    assert rig.broker.order_status(stop.client_order_id).stop_price == D("269.50")  # type: ignore[union-attr]


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


def test_recovery_adopts_a_fill_the_engine_missed_and_the_children_still_protect_it(tmp_path: Path) -> None:
    from theo.execution.config import ExecutionConfig, SimulatedBrokerConfig

    cfg = ExecutionConfig(sim=SimulatedBrokerConfig(participation=0.1))
    rig = make_rig(tmp_path, config=cfg)
    br = rig.service.submit_bracket(req("BUY", 150, "LIMIT", limit_price=D("271.20"), tif=TimeInForce.GTC),
                                    children("BUY", 150, stop="270.50", target="272.00"))
    rig.broker._handlers.clear()  # the engine dies before it hears of the fill
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34, v=1_000))
    again = make_rig(tmp_path, engine=rig.engine, config=cfg, start_service=False)
    again.clock.advance_to(minute(1))
    report = again.service.start()
    assert report.fills_added == ["SIM-00000001"]
    assert report.clean
    entry = again.service.get_order_status(br.entry.client_order_id)
    stop = again.service.get_order_status(br.children[0].client_order_id)
    assert (entry.status, entry.filled_qty) == (S.PARTIALLY_FILLED, D(100))
    assert stop.status is S.ACCEPTED  # at the broker since the entry went out: nothing was re-sent
    assert len(again.broker.state.orders) == 3
    again.feed(bar(minute(1), 271.30, 271.30, 270.30, 270.40, v=10_000))  # the stop is crossed
    assert [(f.quantity, f.price) for f in stop.fills] == [(D(100), D("270.50"))]


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
