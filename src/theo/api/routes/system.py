"""Routes: liveness (no auth), the system page and the log tail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from theo.api.deps import Ctx, Viewer
from theo.api.services import system

router = APIRouter(tags=["system"])


@router.get("/health", response_model=system.Health)
def health() -> system.Health:
    """Liveness for load balancers and monitors: answers without a session."""
    return system.health()


@router.get("/system", response_model=system.SystemView)
def get_system(actor: Viewer, ctx: Ctx) -> system.SystemView:
    """Version, health checks (database, engine heartbeat, disk, log file) and data freshness per symbol."""
    return system.get_system(ctx, actor)


@router.get("/system/logs", response_model=system.LogTail)
def get_logs(actor: Viewer, ctx: Ctx, lines: Annotated[int, Query(ge=1, le=5000)] = 200,
             level: Annotated[str | None, Query(description="DEBUG | INFO | WARNING | ERROR | CRITICAL: "
                                                            "this level and above")] = None) -> system.LogTail:
    """The newest entries of the JSON log file ([logging] file), secrets redacted."""
    return system.get_logs(ctx, actor, lines=lines, level=level)
