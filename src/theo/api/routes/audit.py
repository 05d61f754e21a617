"""Routes: the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from theo.api.deps import Ctx, Limit, Offset, Viewer
from theo.api.services import audit

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=audit.AuditPage)
def list_audit(actor: Viewer, ctx: Ctx, limit: Limit = 100, offset: Offset = 0,
               by: Annotated[str | None, Query(alias="actor")] = None,
               action: Annotated[str | None, Query(description="exact, or a prefix ending in *")] = None
               ) -> audit.AuditPage:
    return audit.list_audit(ctx, actor, limit=limit, offset=offset, by=by, action=action)
