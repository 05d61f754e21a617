"""The FastAPI application: every route under ``/api/v1``, the WebSocket stream, and the built dashboard."""

from __future__ import annotations

from importlib import import_module

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from theo import __version__
from theo.api.metrics import registry_for
from theo.api.services.context import ServiceContext
from theo.api.services.errors import RateLimited, ServiceError
from theo.api.web import mount_dashboard
from theo.config.loader import redact

API_PREFIX = "/api/v1"
#: One module per area under ``theo.api.routes``; each defines ``router``.
ROUTE_MODULES = ("auth", "users", "audit", "state", "overview", "system", "events",
                 "trades", "deals", "orders", "signals", "charts", "correlation",
                 "strategy", "settings", "backtests")


def create_app(ctx: ServiceContext) -> FastAPI:
    """The app serving ``ctx`` (one per process; tests build one per database)."""
    app = FastAPI(title="Theo", version=__version__, description="Theo's HTTP API: reads, operator commands and "
                  "the live event stream. Every endpoint but /api/v1/health and /api/v1/auth/login needs a session.")
    app.state.ctx = ctx
    app.state.metrics = registry_for(ctx)
    for name in ROUTE_MODULES:
        app.include_router(import_module(f"theo.api.routes.{name}").router, prefix=API_PREFIX)
    app.include_router(import_module("theo.api.routes.health").router)  # /healthz, /readyz, /metrics at the root

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> JSONResponse:
        body: dict[str, str] = {"detail": redact(str(exc))}
        if exc.field:
            body["field"] = exc.field
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        return JSONResponse(body, status_code=exc.status, headers=headers)

    if ctx.config.api.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(ctx.config.api.cors_origins), allow_credentials=True,
                           allow_methods=["*"], allow_headers=["*"])
    mount_dashboard(app, ctx.config.api, API_PREFIX)  # last: its catch-all route must not shadow the API
    return app
