"""Routes: log in (no session needed), log out, who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from theo.api.auth.current import client_address
from theo.api.auth.sessions import SESSION_COOKIE
from theo.api.deps import Ctx, Viewer
from theo.api.services import auth

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", response_model=auth.LoginResult,
             responses={401: {"description": "wrong user name or password"},
                        429: {"description": "too many failed logins (see Retry-After)"}})
def login(body: auth.LoginBody, request: Request, response: Response, ctx: Ctx) -> auth.LoginResult:
    """Log in: sets the ``theo_session`` cookie and returns the CSRF token (and the token for scripts)."""
    result = auth.login(ctx, body.username, body.password, address=client_address(request))
    response.set_cookie(SESSION_COOKIE, result.token, httponly=True, samesite="strict", path="/",
                        secure=ctx.config.api.tls)
    return result


@router.post("/logout", status_code=204, response_class=Response)
def logout(request: Request, actor: Viewer, ctx: Ctx) -> Response:
    """End this session (the cookie is cleared; a bearer token stops working)."""
    auth.logout(ctx, actor, request.state.token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=ctx.config.api.tls)
    return response


@router.get("/me", response_model=auth.SessionInfo)
def me(request: Request, actor: Viewer) -> auth.SessionInfo:
    """The logged-in user, their role, the session's CSRF token and expiry."""
    return auth.session_info(actor, request.state.session)
