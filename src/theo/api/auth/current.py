"""The authenticated actor of a request: its session (cookie or bearer token), CSRF and role checks."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from starlette.requests import HTTPConnection

from theo.api.auth.sessions import CSRF_HEADER, SESSION_COOKIE, resolve
from theo.api.services.context import Actor, Role, ServiceContext
from theo.api.services.errors import Forbidden, Unauthorized
from theo.persistence.repositories.users import StoredSession

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Credentials:
    token: str
    cookie: bool  # True: from the browser's cookie (unsafe methods then need the CSRF header)


def credentials(conn: HTTPConnection, *, query_token: bool = False) -> Credentials | None:
    """The session token a request carries: ``Authorization: Bearer``, the cookie, or (WebSocket) ``?token=``."""
    scheme, _, value = conn.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return Credentials(value.strip(), cookie=False)
    cookie = conn.cookies.get(SESSION_COOKIE)
    if cookie:
        return Credentials(cookie, cookie=True)
    token = conn.query_params.get("token") if query_token else None
    return Credentials(token, cookie=False) if token else None


def client_address(conn: HTTPConnection) -> str:
    """The client's address (uvicorn replaces it with X-Forwarded-For from a trusted proxy)."""
    return conn.client.host if conn.client is not None else "unknown"


def actor_of(session: StoredSession, conn: HTTPConnection) -> Actor:
    return Actor(session.user.username, Role(session.user.role), f"web {client_address(conn)}")


def authenticate(ctx: ServiceContext, conn: HTTPConnection, method: str, *, query_token: bool = False
                 ) -> tuple[Actor, StoredSession, str]:
    """The actor, session and token of ``conn``; 401 without a live session, 403 without a matching CSRF
    header on an unsafe method authenticated by the cookie."""
    creds = credentials(conn, query_token=query_token)
    if creds is None:
        raise Unauthorized("log in first (POST /api/v1/auth/login), or send Authorization: Bearer <token>")
    session = resolve(ctx, creds.token)
    if creds.cookie and method.upper() not in SAFE_METHODS:
        sent = conn.headers.get(CSRF_HEADER, "")
        if not sent or not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
            raise Forbidden(f"missing or wrong {CSRF_HEADER} header: send the csrf_token of your session "
                            f"(from login or GET /api/v1/auth/me) with every change")
    return actor_of(session, conn), session, creds.token


def require(role: Role) -> Callable[[Request], Actor]:
    """A dependency giving the request's actor when it has at least ``role`` (401 / 403 otherwise).

    The session and token are left on ``request.state`` for the auth routes (``session``, ``token``).
    """

    def dependency(request: Request) -> Actor:
        ctx: ServiceContext = request.app.state.ctx
        actor, session, token = authenticate(ctx, request, request.method)
        request.state.session, request.state.token = session, token
        actor.require(role, f"{request.method} {request.url.path}")
        return actor

    return dependency
