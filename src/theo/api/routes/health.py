"""Routes at the root, where Kubernetes, systemd and Prometheus look: ``/healthz``, ``/readyz``, ``/metrics``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from theo.api.auth.current import require
from theo.api.deps import Ctx
from theo.api.metrics import exposition
from theo.api.services import health as readiness
from theo.api.services import system
from theo.api.services.context import Role

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=system.Health)
def healthz() -> system.Health:
    """Liveness: the process serves requests (no session, no database access)."""
    return system.health()


@router.get("/readyz", response_model=readiness.Readiness,
            responses={503: {"model": readiness.Readiness, "description": "a check failed"}})
def readyz(ctx: Ctx) -> JSONResponse:
    """Readiness (no session): database, broker link, data freshness per symbol in session, disk, memory;
    200 when every check passes, else 503 with the same body."""
    result = readiness.readiness(ctx)
    return JSONResponse(result.model_dump(mode="json"), status_code=200 if result.ready else 503)


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"}})
def metrics(request: Request, ctx: Ctx) -> Response:
    """Prometheus metrics; without a session when ``[api] metrics_public`` (the default), else a viewer's."""
    if not ctx.config.api.metrics_public:
        require(Role.VIEWER)(request)
    return Response(exposition(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST)
