"""FastAPI dependencies shared by the routes: the service context and the authenticated actor by role."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

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
