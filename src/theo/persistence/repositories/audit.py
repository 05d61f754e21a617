"""The ``audit_log`` table read and written by operator commands (who did what, from where, before/after)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from theo.persistence.db import transaction
from theo.persistence.models.core import AuditLogRow
from theo.persistence.repositories.base import Repository


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    ts: datetime
    actor: str
    action: str
    origin: str
    before: Any
    after: Any
    detail: Any


class AuditRepository(Repository):
    """Append-only: entries are added and read, never changed."""

    def append(self, ts: datetime, actor: str, action: str, *, origin: str = "", before: Any = None,
               after: Any = None, detail: Any = None) -> int:
        with transaction(self.engine) as s:
            row = AuditLogRow(ts=ts, actor=actor[:100], action=action[:100], origin=origin[:100], before=before,
                              after=after, detail=detail if detail is not None else {})
            s.add(row)
            s.flush()
            return row.id

    def list(self, *, actor: str | None = None, action: str | None = None, limit: int = 100,
             offset: int = 0) -> tuple[list[AuditEntry], int]:
        """Entries newest first (``action`` ending in ``.*`` matches the prefix), a page and the total."""
        q = select(AuditLogRow)
        if actor:
            q = q.where(AuditLogRow.actor == actor)
        if action:
            q = q.where(AuditLogRow.action.startswith(action[:-1]) if action.endswith("*")
                        else AuditLogRow.action == action)
        with transaction(self.engine) as s:
            total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
            rows = s.scalars(q.order_by(AuditLogRow.id.desc()).limit(limit).offset(offset))
            return [AuditEntry(r.id, r.ts, r.actor, r.action, r.origin or "", r.before, r.after, r.detail)
                    for r in rows], int(total)
