"""The audit log of operator actions: who (actor and origin) did what, with the value before and after.

Every command that changes something calls :func:`record` (``state.halt``, ``user.create``,
``strategy.update``, ...); :func:`list_audit` is the ``GET /audit`` read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from theo.api.services.context import Actor, Role, ServiceContext


class AuditItem(BaseModel):
    id: int
    ts: datetime
    actor: str
    action: str
    origin: str
    before: Any = None
    after: Any = None
    detail: Any = None


class AuditPage(BaseModel):
    items: list[AuditItem]
    total: int


def _json(value: Any) -> Any:
    """Plain JSON (Decimal → str, datetime → ISO, enums → value, models → dicts)."""
    return None if value is None else to_jsonable_python(value)


def record(ctx: ServiceContext, actor: Actor, action: str, *, before: Any = None, after: Any = None,
           detail: Any = None) -> int:
    """Append ``action`` by ``actor`` (dotted, e.g. ``state.halt``) with the value before and after; return
    the entry's id. Never pass a secret: the values are shown to every viewer."""
    return ctx.repos.audit.append(datetime.now(UTC), actor.name, action, origin=actor.origin,
                                  before=_json(before), after=_json(after), detail=_json(detail))


def list_audit(ctx: ServiceContext, actor: Actor, *, limit: int = 100, offset: int = 0, by: str | None = None,
               action: str | None = None) -> AuditPage:
    """Entries newest first, filtered by actor name ``by`` and ``action`` (``state.*`` for a prefix)."""
    actor.require(Role.VIEWER, "reading the audit log")
    entries, total = ctx.repos.audit.list(actor=by, action=action, limit=limit, offset=offset)
    return AuditPage(items=[AuditItem(id=e.id, ts=e.ts, actor=e.actor, action=e.action, origin=e.origin,
                                      before=e.before, after=e.after, detail=e.detail) for e in entries],
                     total=total)
