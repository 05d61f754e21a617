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
