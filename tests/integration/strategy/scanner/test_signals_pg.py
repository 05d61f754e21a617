"""The signals table's CHECK/UNIQUE constraints and the store on PostgreSQL 15."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError

from tests.unit.strategy.signals.test_store import TS, VIOLATIONS, _raw, check_constraints, record
from theo.persistence.models.signals import SignalRow
from theo.persistence.signals import SignalStore


def test_database_checks_hold_on_postgresql(pg_engine: Engine) -> None:
    # One test for all of them: each PostgreSQL test pays for emptying every table afterwards.
    for kw, name in VIOLATIONS:
        with pg_engine.begin() as conn:
            conn.execute(delete(SignalRow))
        check_constraints(pg_engine, kw, name)


def test_unique_keys_on_postgresql(pg_engine: Engine) -> None:
    _raw(pg_engine)
    with pytest.raises(IntegrityError, match="uq_signals_user_id_strategy_id_symbol_created_at"):
        _raw(pg_engine, side="SELL", stop_loss=Decimal(101), take_profit=Decimal(98))
    with pytest.raises(IntegrityError, match="uq_signals_user_id_strategy_id_symbol_side_bar_ts"):
        _raw(pg_engine, created_at=TS + timedelta(seconds=1))


def test_store_round_trip_and_cleanup_on_postgresql(pg_engine: Engine) -> None:
    store = SignalStore(pg_engine)  # the tables were emptied: the store recreates the default user
    option = {"option_right": "PUT", "option_strike": Decimal("260"), "option_expiry": date(2019, 3, 15)}
    assert store.add(record(**option)) is not None
    assert store.add(record()) is None
    [got] = store.list()
    assert got.record.entry_price == Decimal("270.16")
    assert (got.record.option_right, got.record.option_strike, got.record.option_expiry) == tuple(option.values())
    assert got.record.inputs["bad"] is None
    assert got.record.expires_at is not None
    assert store.cleanup_expired(got.record.expires_at) == 1
    assert store.list(active=True) == []
