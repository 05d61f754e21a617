"""The ``trading_state`` history with its ``audit_log`` entries: the store behind :class:`TradingState`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from theo.persistence.db import transaction
from theo.persistence.models.core import AuditLogRow
from theo.persistence.models.trades import TradingStateRow
from theo.persistence.repositories.base import Repository
from theo.risk.state import KillRequest, State, StateChange, StateRecord


def _record(row: TradingStateRow) -> StateRecord:
    return StateRecord(row.id, row.ts, row.account, State(row.state), State(row.previous), row.reason, row.actor,
                       row.kill, row.flatten, row.handled_at)


class TradingStateRepository(Repository):
    """Implements :class:`theo.risk.state.StateStore`: append-only history, newest row per account wins."""

    def append(self, change: StateChange, *, kill: bool = False, flatten: bool = False, audit: bool = True) -> int:
        """Append a ``trading_state`` row and its ``audit_log`` row in one transaction; return the row id.

        ``audit=False`` leaves the audit row to the caller (the API's operator commands write their own, with
        the state before and after)."""
        with transaction(self.engine) as s:
            row = TradingStateRow(ts=change.ts, account=change.account, state=change.state.value,
                                  previous=change.previous.value, reason=change.reason, actor=change.actor,
                                  kill=kill, flatten=flatten)
            s.add(row)
            if audit:
                s.add(AuditLogRow(ts=change.ts, actor=change.actor or "engine", action="kill" if kill else "risk.state",
                                  detail={"account": change.account, "from": change.previous.value,
                                          "to": change.state.value, "reason": change.reason, "flatten": flatten}))
            s.flush()
            return row.id

    def history(self, account: str, limit: int = 50) -> list[StateRecord]:
        """The latest ``limit`` rows of ``account``, newest first."""
        with transaction(self.engine) as s:
            q = select(TradingStateRow).where(TradingStateRow.account == account)
            return [_record(r) for r in s.scalars(q.order_by(TradingStateRow.id.desc()).limit(limit))]

    def pending_kill(self, account: str) -> KillRequest | None:
        """The oldest kill request of ``account`` not handled yet."""
        with transaction(self.engine) as s:
            kill = s.scalars(select(TradingStateRow)
                             .where(TradingStateRow.account == account, TradingStateRow.kill.is_(True),
                                    TradingStateRow.handled_at.is_(None))
                             .order_by(TradingStateRow.id).limit(1)).first()
            return None if kill is None else KillRequest(kill.id, kill.flatten, kill.reason, kill.actor)

    def mark_handled(self, request_id: int, at: datetime) -> None:
        """Stamp the kill request ``request_id`` as carried out."""
        with transaction(self.engine) as s:
            s.execute(update(TradingStateRow).where(TradingStateRow.id == request_id).values(handled_at=at))
