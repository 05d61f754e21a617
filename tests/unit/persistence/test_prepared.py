"""The journal's prepared intent insert stores what a Core insert stores; a sent intent is one transaction."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from tests.unit.execution.helpers import T0, migrated_sqlite
from theo.model.enums import OrderStatus as S
from theo.model.enums import OrderType, Side
from theo.model.orders import Order, OrderRequest, OrderTag
from theo.persistence.prepared import PreparedInsert
from theo.persistence.repositories.orders import EVENTS, ORDERS
from theo.persistence.repositories.orders import SqlOrderJournal as OrderJournal

D = Decimal


def _order(cid: str, status: S = S.CREATED) -> Order:
    request = OrderRequest("SPY", Side.SELL, D("100"), OrderType.STOP_LIMIT, limit_price=D("270.05"),
                           stop_price=D("270.10"), strategy="st", reduce_only=True, tag=OrderTag.STOP_LOSS)
    return Order(cid, request, status=status, created_at=T0, updated_at=T0)


def _row(journal: OrderJournal, cid: str) -> dict[str, Any]:
    with journal.engine.connect() as conn:
        row = conn.execute(select(ORDERS).where(ORDERS.c.client_order_id == cid)).mappings().one()
    return {k: v for k, v in row.items() if k != "client_order_id"}


def test_prepared_insert_stores_what_a_core_insert_stores(tmp_path: Path) -> None:
    journal = OrderJournal(migrated_sqlite(tmp_path / "theo.db"), broker="sim", account="A1")
    journal.record_intent(_order("fast-1"), T0, actor="me")
    core = {**_row(journal, "fast-1"), "client_order_id": "core-1"}
    with journal.engine.begin() as conn:  # the same row written by SQLAlchemy Core
        conn.execute(insert(ORDERS), core)
    assert _row(journal, "core-1") == _row(journal, "fast-1")
    assert _row(journal, "fast-1")["limit_price"] == D("270.05")
    assert _row(journal, "fast-1")["received_at"] == T0
    assert journal.events("fast-1") == [{"ts": T0, "kind": "intent", "status_from": None, "status_to": "CREATED",
                                         "payload": {}, "source": "engine", "actor": "me"}]
    journal.close()


def test_a_submitted_intent_is_written_with_its_submit_event(tmp_path: Path) -> None:
    journal = OrderJournal(migrated_sqlite(tmp_path / "theo.db"), broker="sim")
    journal.record_intents([_order("sent-1", S.SUBMITTED), _order("kept-1")], T0)
    sent, kept = _row(journal, "sent-1"), _row(journal, "kept-1")
    assert (sent["status"], sent["entered_at"]) == ("SUBMITTED", T0)
    assert (kept["status"], kept["entered_at"]) == ("CREATED", None)
    assert [(e["kind"], e["status_from"], e["status_to"]) for e in journal.events("sent-1")] == [
        ("intent", None, "CREATED"), ("submit", "CREATED", "SUBMITTED")]
    assert [e["kind"] for e in journal.events("kept-1")] == ["intent"]


def test_a_duplicate_intent_fails_whole_and_leaves_nothing(tmp_path: Path) -> None:
    journal = OrderJournal(migrated_sqlite(tmp_path / "theo.db"), broker="sim")
    journal.record_intent(_order("dup-1"), T0)
    with pytest.raises(IntegrityError):
        journal.record_intents([_order("new-1"), _order("dup-1")], T0)
    assert journal.load_order("new-1") is None
    journal.record_intent(_order("new-1"), T0)  # the held connection is usable after the rollback
    assert journal.load_order("new-1") is not None


def test_another_thread_writes_through_its_own_connection(tmp_path: Path) -> None:
    journal = OrderJournal(migrated_sqlite(tmp_path / "theo.db"), broker="sim")
    journal.record_intent(_order("main-1"), T0)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            journal.record_intent(_order("other-1"), T0)
        except BaseException as exc:  # handed to the test thread
            errors.append(exc)

    worker = threading.Thread(target=write)
    worker.start()
    worker.join()
    assert errors == []
    assert {o.client_order_id for o in journal.load_orders()} == {"main-1", "other-1"}


def test_the_prepared_insert_names_every_column_but_the_autoincrement_key(tmp_path: Path) -> None:
    engine = migrated_sqlite(tmp_path / "theo.db")
    events = PreparedInsert(EVENTS, engine.dialect)
    assert "id" not in events.columns
    assert set(events.columns) == {c.name for c in EVENTS.columns} - {"id"}
    assert not events.covers({"client_order_id": "x"})
