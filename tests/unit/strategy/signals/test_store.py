"""SignalStore on SQLite: persistence with inputs, duplicate suppression, expiry clean-up, and the database's
own CHECK/UNIQUE constraints (which hold even when validation is bypassed)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from theo.model.enums import Side, SignalStatus
from theo.persistence.models.signals import SignalRow, StrategyRow, UserRow
from theo.persistence.signals import SignalStore
from theo.strategy.scanner.records import SignalRecord

TS = datetime(2019, 2, 12, 15, 0, tzinfo=UTC)


def record(**kw: Any) -> SignalRecord:
    base = SignalRecord(strategy="spy_vix", symbol="SPY", side=Side.BUY, created_at=TS,
                        bar_ts=TS - timedelta(minutes=5), timeframe="5m", quantity=1, entry_price=Decimal("270.16"),
                        stop_loss=Decimal("269.5"), take_profit=Decimal("271.48"), expires_at=TS + timedelta(hours=6),
                        reason="why", inputs={"SPY.close": 270.16, "SPY.sh": 270.1, "corr": -0.81, "bad": float("nan"),
                                              "SPY.sh_ts": "2019-02-12T14:40:00+00:00"})
    return replace(base, **kw)


def test_round_trip_keeps_every_field_and_the_inputs(sqlite_engine: Engine) -> None:
    store = SignalStore(sqlite_engine)
    store.register_strategy("spy_vix", "correlation", {"primary": "SPY"})
    stored = store.add(record(option_right="CALL", option_strike=Decimal("275"), option_expiry=date(2019, 2, 15)))
    assert stored is not None
    assert stored.id > 0
    [got] = store.list()
    r = got.record
    assert (r.strategy, r.symbol, r.side, r.created_at, r.bar_ts) == ("spy_vix", "SPY", Side.BUY, TS,
                                                                     TS - timedelta(minutes=5))
    assert (r.entry_price, r.stop_loss, r.take_profit) == (Decimal("270.16"), Decimal("269.5"), Decimal("271.48"))
    assert r.inputs == {"SPY.close": 270.16, "SPY.sh": 270.1, "corr": -0.81, "bad": None,
                        "SPY.sh_ts": "2019-02-12T14:40:00+00:00"}
    assert (r.option_right, r.option_strike, r.option_expiry) == ("CALL", Decimal("275"), date(2019, 2, 15))
    assert r.status is SignalStatus.PENDING
    assert r.is_active
    assert r.mode == "virtual"


def test_duplicates_are_suppressed(sqlite_engine: Engine) -> None:
    store = SignalStore(sqlite_engine)
    assert store.add(record()) is not None
    assert store.add(record(reason="again")) is None  # same strategy, symbol, side, bar
    assert store.add(record(side=Side.SELL, stop_loss=Decimal(271), take_profit=Decimal(269))) is None  # same instant
    assert store.add(record(created_at=TS + timedelta(minutes=5), bar_ts=TS)) is not None
    assert len(store.list()) == 2
    assert store.duplicates == [record().key, record(side=Side.SELL).key]
    # Another store over the same database (a second run) sees the stored ones too.
    again = SignalStore(sqlite_engine)
    assert again.add_many([record(), record(created_at=TS + timedelta(minutes=5), bar_ts=TS)]) == []


def test_cleanup_cancels_only_expired_open_signals(sqlite_engine: Engine) -> None:
    store = SignalStore(sqlite_engine)
    store.add_many([
        record(),
        record(created_at=TS + timedelta(minutes=5), bar_ts=TS, expires_at=TS + timedelta(days=3)),
        record(created_at=TS + timedelta(minutes=10), bar_ts=TS + timedelta(minutes=5), status=SignalStatus.EXECUTED),
        record(created_at=TS + timedelta(minutes=15), bar_ts=TS + timedelta(minutes=10), expires_at=None),
    ])
    assert store.cleanup_expired(TS + timedelta(hours=6)) == 1
    assert store.cleanup_expired(TS + timedelta(hours=6)) == 0
    rows = {s.record.created_at: s.record for s in store.list()}
    assert (rows[TS].status, rows[TS].is_active) == (SignalStatus.CANCELLED, False)
    assert rows[TS + timedelta(minutes=5)].is_active
    assert rows[TS + timedelta(minutes=10)].status is SignalStatus.EXECUTED
    assert [s.record.created_at for s in store.list(active=False)] == [TS]
    assert len(store.list(active=True)) == 3
    assert store.list(strategy="other") == []


def _raw(engine: Engine, **kw: Any) -> None:
    with engine.begin() as conn:
        uid = conn.scalar(select(UserRow.id).where(UserRow.name == "default"))
        if uid is None:
            uid = conn.execute(insert(UserRow).values(name="default")).inserted_primary_key[0]
        sid = conn.scalar(select(StrategyRow.id).where(StrategyRow.name == "raw"))
        if sid is None:
            sid = conn.execute(insert(StrategyRow).values(name="raw", type="t", config={})).inserted_primary_key[0]
        row: dict[str, Any] = {
            "user_id": uid, "strategy_id": sid, "scanner": "", "symbol": "SPY", "exchange": "SMART",
            "order_type": "LIMIT", "product_type": "MARGIN", "side": "BUY", "is_exit": False, "contract_size": 1,
            "quantity": 1, "entry_price": Decimal(100), "stop_loss": Decimal(99), "take_profit": Decimal(102),
            "status": "PENDING", "created_at": TS, "updated_at": TS, "is_active": True, "timeframe": "5m",
            "bar_ts": TS, "reason": "", "inputs": {}, "mode": "virtual",
        }
        row.update(kw)
        conn.execute(insert(SignalRow).values(**row))


VIOLATIONS: list[tuple[dict[str, Any], str]] = [
    ({"contract_size": 0}, "contract_size_positive"),
    ({"quantity": 0}, "quantity_positive"),
    ({"quantity": 150, "contract_size": 100}, "quantity_multiple"),
    ({"entry_price": Decimal(-1)}, "entry_price_positive"),
    ({"stop_loss": Decimal(0)}, "stop_loss_positive"),
    ({"take_profit": Decimal(-2)}, "take_profit_positive"),
    ({"entry_price": None}, "entry_required"),
    ({"stop_loss": Decimal(101)}, "stop_side"),
    ({"take_profit": Decimal("99.5")}, "target_side"),
    ({"side": "SELL", "stop_loss": Decimal(101)}, "target_side"),
    ({"side": "SELL", "take_profit": Decimal(98)}, "stop_side"),
    ({"side": "HOLD", "stop_loss": None, "take_profit": None}, "side_valid"),
    ({"status": "DONE"}, "status_valid"),
    ({"exchange": "LSE"}, "exchange_valid"),
    ({"mode": "paper"}, "mode_valid"),
]


def check_constraints(engine: Engine, kw: dict[str, Any], name: str) -> None:
    _raw(engine)  # a valid row goes in
    with pytest.raises(IntegrityError) as info:
        _raw(engine, created_at=TS + timedelta(minutes=1), bar_ts=TS + timedelta(minutes=1), **kw)
    assert f"ck_signals_{name}" in str(info.value)


def test_database_checks_hold_without_validation(sqlite_engine: Engine) -> None:
    # One migrated store for all cases (a fresh one per case costs more than the checks themselves).
    for kw, name in VIOLATIONS:
        with sqlite_engine.begin() as conn:
            conn.execute(delete(SignalRow))
        check_constraints(sqlite_engine, kw, name)


def test_database_unique_user_strategy_symbol_created_at(sqlite_engine: Engine) -> None:
    _raw(sqlite_engine)
    with pytest.raises(IntegrityError, match="UNIQUE"):
        _raw(sqlite_engine, side="SELL", stop_loss=Decimal(101), take_profit=Decimal(98))


def test_database_unique_strategy_symbol_side_bar(sqlite_engine: Engine) -> None:
    _raw(sqlite_engine)
    with pytest.raises(IntegrityError, match=r"UNIQUE constraint failed: signals\.user_id, signals\.strategy_id, "
                                             r"signals\.symbol, signals\.side, signals\.bar_ts"):
        _raw(sqlite_engine, created_at=TS + timedelta(seconds=1))
    _raw(sqlite_engine, created_at=TS + timedelta(seconds=2), side="SELL", stop_loss=Decimal(101),
         take_profit=Decimal(98))  # the other side on the same bar is not a duplicate


def test_migration_creates_the_default_user(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as conn:
        assert conn.scalars(select(UserRow.name)).all() == ["default"]


def test_a_row_stored_by_another_writer_meanwhile_gives_a_readable_error(
        sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from theo.core.errors import StorageError

    store = SignalStore(sqlite_engine)
    assert store.add(record()) is not None
    # Simulate the race: the duplicate check runs before the other writer's row is visible.
    monkeypatch.setattr(SignalStore, "_exists", lambda *a: False)
    with pytest.raises(StorageError, match=r"the database refused signal spy_vix/SPY BUY at 2019-02-12T15:00:00\+00:00 "
                                           r"\(UNIQUE constraint failed: .*\); nothing of this batch was stored"):
        store.add_many([record(created_at=TS + timedelta(minutes=9), bar_ts=TS), record()])
    assert len(store.list()) == 1
