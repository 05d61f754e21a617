"""Route: the overview page (account, P&L, equity curve, state, PDT, health, open trades, working orders)."""

from __future__ import annotations

from fastapi import APIRouter

from theo.api.deps import Ctx, Viewer
from theo.api.services import overview

router = APIRouter(prefix="/overview", tags=["overview"])


@router.get("", response_model=overview.Overview)
def get_overview(actor: Viewer, ctx: Ctx) -> overview.Overview:
    return overview.get_overview(ctx, actor)
