"""The journal: intents, events, fills de-duplicated by exec id, positions from fills, broker ids."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from theo.model.enums import OrderStatus as S
from theo.model.enums import Side
from theo.model.events import Charges, Execution
from theo.model.orders import Order
from theo.persistence.db import transaction
from theo.persistence.models.orders import BrokerOrderIdRow
from theo.persistence.repositories.orders import SqlOrderJournal as OrderJournal

from .helpers import T0, migrated_sqlite, req

D = Decimal


def _ex(exec_id: str, cid: str, side: Side, qty: int, price: str) -> Execution:
    return Execution(exec_id, cid, "SPY", side, D(qty), D(price), T0,
                     Charges(commission=D("1.00"), cat_fee=D("0.01"), schedule_version="v1"))


def test_fills_are_deduplicated_and_positions_sum_them(tmp_path: Path) -> None:
    journal = OrderJournal(migrated_sqlite(tmp_path / "theo.db"), broker="sim")
    buy = Order("b-1", req("BUY", 100), status=S.ACCEPTED, created_at=T0)
    sell = Order("s-1", req("SELL", 30), status=S.ACCEPTED, created_at=T0)
    for o in (buy, sell):
        journal.record_intent(o, T0)
    ex = _ex("E1", "b-1", Side.BUY, 100, "271.19")
    buy.add_fill(ex)
    buy.status = S.FILLED
    assert journal.record_fill(buy, ex, S.ACCEPTED, T0)
    assert not journal.record_fill(buy, ex, S.ACCEPTED, T0)
    ex2 = _ex("E2", "s-1", Side.SELL, 30, "271.50")
    sell.add_fill(ex2)
    journal.record_fill(sell, ex2, S.ACCEPTED, T0)
    assert journal.positions() == {"SPY": D(70)}
    stored = journal.load_order("b-1")
    assert stored is not None
    assert stored.status is S.FILLED
    assert stored.avg_fill_price == D("271.19")
    assert stored.fills[0].charges.total == D("1.01")
    assert stored.fills[0].charges.schedule_version == "v1"
    assert [o.client_order_id for o in journal.load_orders(open_only=True)] == ["s-1"]
    assert [e["kind"] for e in journal.events("b-1")] == ["intent", "fill"]


def test_one_broker_order_id_maps_to_one_order(tmp_path: Path) -> None:
    engine = migrated_sqlite(tmp_path / "theo.db")
    journal = OrderJournal(engine)
    for cid in ("a", "b"):
        journal.record_intent(Order(cid, req("BUY", 1), created_at=T0), T0)
    journal.map_broker_id("a", "ibkr", "1001", "9876543", T0)
    journal.map_broker_id("a", "ibkr", "1001", "9876543", T0)  # idempotent
    journal.map_broker_id("a", "other", "1001", "", T0)  # same number at another broker is fine
    assert journal.broker_ids("a") == [("ibkr", "1001", "9876543"), ("other", "1001", None)]
    with pytest.raises(IntegrityError), transaction(engine) as s:
        s.add(BrokerOrderIdRow(client_order_id="b", broker="ibkr", broker_order_id="1001", created_at=T0))


def test_an_ibkr_perm_id_learnt_after_the_order_id_is_kept(tmp_path: Path) -> None:
    journal = OrderJournal(migrated_sqlite(tmp_path / "theo.db"))
    for cid in ("a", "b"):
        journal.record_intent(Order(cid, req("BUY", 1), created_at=T0), T0)
    journal.map_broker_id("a", "ibkr", "1001", "", T0)  # openOrder before the permId is known
    assert journal.broker_ids("a") == [("ibkr", "1001", None)]
    journal.map_broker_id("a", "ibkr", "1001", "9876543", T0)
    journal.map_broker_id("a", "ibkr", "1001", "9876543", T0)
    assert journal.broker_ids("a") == [("ibkr", "1001", "9876543")]
    journal.map_broker_id("b", "ibkr", "1001", "555", T0)  # a clash is logged, never re-pointed
    assert journal.broker_ids("b") == []
    assert journal.broker_ids("a") == [("ibkr", "1001", "9876543")]


def test_the_memory_journal_of_a_backtest_records_what_the_sql_journal_records(tmp_path: Path) -> None:
    from theo.adapters.sim.execution import SimulatedBroker
    from theo.core.clock import SimulatedClock
    from theo.execution.config import ExecutionConfig, SimulatedBrokerConfig
    from theo.execution.journal import MemoryJournal
    from theo.execution.service import OrderService
    from theo.model.enums import TimeInForce

    from .helpers import INSTRUMENTS, bar, children, minute

    cfg = ExecutionConfig(sim=SimulatedBrokerConfig(participation=0.1))
    runs = []
    for journal in (MemoryJournal(), OrderJournal(migrated_sqlite(tmp_path / "theo.db"), broker="sim")):
        clock = SimulatedClock(T0)
        broker = SimulatedBroker(cfg, clock, INSTRUMENTS)
        svc = OrderService(broker, journal, clock, INSTRUMENTS)
        svc.start()
        svc.create_order(req("BUY", 150, tif=TimeInForce.GTC))
        br = svc.submit_bracket(req("BUY", 50, "LIMIT", limit_price=D("271.20"), tif=TimeInForce.GTC),
                                children("BUY", 50, stop="270.90", target="271.60"))
        svc.create_order(req("SELL", 10, "LIMIT", limit_price=D("280.00"), tif=TimeInForce.GTC))
        for i, (o, h, lo, c) in enumerate([(271.19, 271.34, 271.07, 271.34), (271.32, 271.70, 271.22, 271.60)]):
            clock.advance_to(minute(i + 1))
            broker.on_bar(bar(minute(i), o, h, lo, c, v=1_000))
        svc.modify_order("man-20190211-0003", limit_price=D("279.00"))
        svc.cancel_order(br.entry.client_order_id)
        orders = [(o.client_order_id, o.status, o.filled_qty, o.avg_fill_price, o.request, o.parent_id, o.oco_group,
                   [(f.exec_id, f.quantity, f.price, f.ts, f.charges.total) for f in o.fills])
                  for o in journal.load_orders()]
        runs.append((orders, [o.client_order_id for o in journal.load_orders(open_only=True)], journal.positions(),
                     journal.exec_ids(), journal.ids_with_prefix("man-20190211-")))
    memory, sql = runs
    assert memory == sql
    assert memory[2] == {"SPY": D(150)}  # 100 + 50 of the market order; the bracket's 50 in and out at its target
