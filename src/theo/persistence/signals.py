"""Persist signals: duplicate suppression, expiry clean-up and queries (plan §3, §4).

A duplicate is a signal with the same strategy, symbol, side and bar as one already stored (or, per the
plan's UNIQUE constraint, the same user, strategy, symbol and creation instant): it is not stored again,
and :meth:`SignalStore.add` returns ``None`` and counts it in :attr:`SignalStore.duplicates`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from theo.core.errors import StorageError
from theo.model.enums import Exchange, OrderType, ProductType, Side, SignalStatus
from theo.model.signals import InputValue
from theo.persistence.db import transaction
from theo.persistence.models.signals import SignalRow, StrategyRow, UserRow
from theo.strategy.scanner.records import SignalRecord, validate_record

#: Statuses a clean-up may cancel: signals nobody acted on yet.
OPEN_STATUSES = (SignalStatus.PENDING.value, SignalStatus.VALIDATED.value)


@dataclass(frozen=True, slots=True)
class StoredSignal:
    id: int
    record: SignalRecord


def _json_inputs(inputs: Mapping[str, InputValue]) -> dict[str, InputValue]:
    # JSON has no NaN/Infinity (PostgreSQL refuses them): an undefined number is stored as null.
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in inputs.items()}


def _dec(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).normalize()


class SignalStore:
    """Signals of one user in one database (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine, user: str = "default") -> None:
        self.engine = engine
        self.user = user
        self.duplicates: list[tuple[str, str, str, datetime]] = []
        self._strategy_ids: dict[str, int] = {}
        self._user_id: int | None = None

    # -- owners ------------------------------------------------------------------------------------------
    def _ensure_user(self, session: Session) -> int:
        if self._user_id is None:
            uid = session.scalar(select(UserRow.id).where(UserRow.name == self.user))
            if uid is None:
                row = UserRow(name=self.user)
                session.add(row)
                session.flush()
                uid = row.id
            self._user_id = uid
        return self._user_id

    def register_strategy(self, name: str, type_: str, config: Mapping[str, Any] | None = None) -> int:
        """Insert or update a strategy row; return its id."""
        with transaction(self.engine) as session:
            return self._strategy(session, name, type_, config)

    def _strategy(self, session: Session, name: str, type_: str = "", config: Mapping[str, Any] | None = None) -> int:
        row = session.scalar(select(StrategyRow).where(StrategyRow.name == name))
        if row is None:
            row = StrategyRow(name=name, type=type_ or "unknown", config=dict(config or {}))
            session.add(row)
            session.flush()
        elif config is not None:
            row.type, row.config = type_ or row.type, dict(config)
        self._strategy_ids[name] = row.id
        return row.id

    # -- writes ------------------------------------------------------------------------------------------
    def add(self, record: SignalRecord) -> StoredSignal | None:
        """Validate and store one signal; ``None`` when it duplicates a stored one."""
        stored = self.add_many([record])
        return stored[0] if stored else None

    def add_many(self, records: Iterable[SignalRecord]) -> list[StoredSignal]:
        """Validate and store signals in one transaction, skipping duplicates (see module doc)."""
        out: list[StoredSignal] = []
        records = [validate_record(r) for r in records]
        current: SignalRecord | None = None
        try:
            with transaction(self.engine) as session:
                uid = self._ensure_user(session)
                for r in records:
                    current = r
                    sid = self._strategy_ids.get(r.strategy) or self._strategy(session, r.strategy)
                    if self._exists(session, uid, sid, r):
                        self.duplicates.append(r.key)
                        continue
                    row = self._row(r, uid, sid)
                    session.add(row)
                    session.flush()
                    out.append(StoredSignal(row.id, r))
        except IntegrityError as exc:
            # Validation ran first, so this is a race: another writer stored the same signal meanwhile.
            what = "signals" if current is None else (
                f"signal {current.strategy}/{current.symbol} {current.side.value} at {current.created_at.isoformat()}")
            raise StorageError(f"the database refused {what} ({exc.orig}); nothing of this batch was stored. "
                               "Another process may have stored it meanwhile: run again, stored signals are "
                               "skipped as duplicates") from None
        return out

    def _exists(self, session: Session, uid: int, sid: int, r: SignalRecord) -> bool:
        same_bar = and_(SignalRow.side == r.side.value, SignalRow.bar_ts == r.bar_ts)
        found = session.scalar(
            select(SignalRow.id).where(SignalRow.user_id == uid, SignalRow.strategy_id == sid,
                                       SignalRow.symbol == r.symbol,
                                       or_(same_bar, SignalRow.created_at == r.created_at)).limit(1)
        )
        return found is not None

    def _row(self, r: SignalRecord, uid: int, sid: int) -> SignalRow:
        return SignalRow(
            user_id=uid, strategy_id=sid, scanner=r.scanner, symbol=r.symbol, exchange=r.exchange.value,
            order_type=r.order_type.value, product_type=r.product_type.value, side=r.side.value,
            is_exit=r.is_exit, contract_size=r.contract_size, quantity=r.quantity, entry_price=r.entry_price,
            stop_loss=r.stop_loss, take_profit=r.take_profit, option_right=r.option_right,
            option_strike=r.option_strike, option_expiry=r.option_expiry, status=r.status.value,
            created_at=r.created_at,
            updated_at=r.created_at, is_active=r.is_active, timeframe=r.timeframe, bar_ts=r.bar_ts,
            expires_at=r.expires_at, reason=r.reason, inputs=_json_inputs(r.inputs), mode=r.mode,
        )

    def cleanup_expired(self, now: datetime) -> int:
        """Deactivate and cancel the open signals whose expiry is at or before ``now``; return how many."""
        if now.tzinfo is None:
            raise StorageError(f"cleanup time {now.isoformat()} has no timezone; pass a UTC-aware time")
        with transaction(self.engine) as session:
            result = session.execute(
                update(SignalRow)
                .where(SignalRow.is_active.is_(True), SignalRow.expires_at.is_not(None),
                       SignalRow.expires_at <= now, SignalRow.status.in_(OPEN_STATUSES))
                .values(is_active=False, status=SignalStatus.CANCELLED.value, updated_at=now.astimezone(UTC))
            )
            return int(getattr(result, "rowcount", 0) or 0)

    # -- reads -------------------------------------------------------------------------------------------
    def list(self, strategy: str | None = None, active: bool | None = None) -> list[StoredSignal]:
        """Stored signals of this user, oldest first (ties by id)."""
        with Session(self.engine) as session:
            q = (select(SignalRow, StrategyRow.name, UserRow.name)
                 .join(StrategyRow, SignalRow.strategy_id == StrategyRow.id)
                 .join(UserRow, SignalRow.user_id == UserRow.id)
                 .where(UserRow.name == self.user))
            if strategy is not None:
                q = q.where(StrategyRow.name == strategy)
            if active is not None:
                q = q.where(SignalRow.is_active.is_(active))
            rows = session.execute(q.order_by(SignalRow.created_at, SignalRow.id)).all()
            return [StoredSignal(row.id, _record(row, strat, user)) for row, strat, user in rows]


def _record(row: SignalRow, strategy: str, user: str) -> SignalRecord:
    return SignalRecord(
        strategy=strategy, symbol=row.symbol, side=Side(row.side), created_at=row.created_at,
        bar_ts=row.bar_ts, timeframe=row.timeframe, quantity=row.quantity, contract_size=row.contract_size,
        exchange=Exchange(row.exchange), order_type=OrderType(row.order_type),
        product_type=ProductType(row.product_type), entry_price=_dec(row.entry_price),
        stop_loss=_dec(row.stop_loss), take_profit=_dec(row.take_profit), is_exit=row.is_exit,
        option_right=row.option_right, option_strike=_dec(row.option_strike), option_expiry=row.option_expiry,
        status=SignalStatus(row.status),
        is_active=row.is_active, expires_at=row.expires_at, reason=row.reason, inputs=dict(row.inputs or {}),
        mode=row.mode, scanner=row.scanner, user=user,
    )
