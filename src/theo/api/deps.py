"""FastAPI dependencies shared by the routes: the service context and the authenticated actor by role."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from theo.api.auth.current import require
from theo.api.services.context import Actor, Role, ServiceContext


def get_context(request: Request) -> ServiceContext:
    ctx: ServiceContext = request.app.state.ctx
    return ctx


Ctx = Annotated[ServiceContext, Depends(get_context)]
#: The logged-in actor, with at least the named role (401 without a session, 403 below the role).
Viewer = Annotated[Actor, Depends(require(Role.VIEWER))]
Trader = Annotated[Actor, Depends(require(Role.TRADER))]
Admin = Annotated[Actor, Depends(require(Role.ADMIN))]

#: Paging of every list endpoint (``{"items": [...], "total": N}``): 1..1000 rows from ``offset``.
Limit = Annotated[int, Query(ge=1, le=1000, description="rows per page")]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1, description="rows to skip")]
