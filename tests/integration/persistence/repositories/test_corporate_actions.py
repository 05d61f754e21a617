"""The corporate-actions store on SQLite and PostgreSQL: idempotent saves, updates, range reads."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Engine

from theo.data.corporate_actions import CorporateActionStore
from theo.model.reference import CorporateAction
from theo.persistence.repositories.corporate_actions import CorporateActionRepository


def test_save_is_idempotent_and_updates_changed_figures(engine: Engine) -> None:
    store: CorporateActionStore = CorporateActionRepository(engine)
    div = CorporateAction("AAPL", "cash_dividend", date(2026, 11, 9), amount=Decimal("0.26"), source="ibkr")
    split = CorporateAction("AAPL", "split", date(2020, 8, 31), ratio=Decimal(4), source="file")
    assert store.save_actions([div, split]) == 2
    assert store.save_actions([div, split]) == 0
    changed = CorporateAction("AAPL", "cash_dividend", date(2026, 11, 9), amount=Decimal("0.27"), source="ibkr")
    assert store.save_actions([changed]) == 1
    got = store.actions("AAPL")
    assert [(a.kind, a.ex_date, a.amount, a.ratio) for a in got] == [
        ("split", date(2020, 8, 31), None, Decimal(4)), ("cash_dividend", date(2026, 11, 9), Decimal("0.27"), None)]
    assert store.actions("AAPL", start=date(2021, 1, 1)) == [changed]
    assert store.actions("AAPL", end=date(2021, 1, 1)) == [split]
    assert store.actions("MSFT") == []
