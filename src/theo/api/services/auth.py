"""Logging in and out: the login check (rate-limited, same answer for an unknown user and a bad password)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from theo.api.auth import sessions
from theo.api.auth.passwords import MAX_LENGTH, hash_password, needs_rehash, verify_password
from theo.api.auth.ratelimit import LoginLimiter
from theo.api.services.audit import record
from theo.api.services.context import Actor, Role, ServiceContext
from theo.api.services.errors import RateLimited, Unauthorized
from theo.core.logging import get_logger
from theo.persistence.repositories.users import StoredSession

log = get_logger(__name__)
BAD_LOGIN = "wrong user name or password"


class LoginBody(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=MAX_LENGTH)


class SessionInfo(BaseModel):
    """The logged-in user and their session: send ``csrf_token`` as ``X-CSRF-Token`` with every change."""

    username: str
    role: Role
    csrf_token: str
    expires_at: datetime


class LoginResult(SessionInfo):
    """Also the session ``token``, for scripts (``Authorization: Bearer <token>``); shown only here."""

    token: str


def limiter(ctx: ServiceContext) -> LoginLimiter:
    """The context's failed-login counter (one per process)."""
    found = ctx.extras.get("auth.limiter")
    if not isinstance(found, LoginLimiter):
        api = ctx.config.api
        found = ctx.extras.setdefault("auth.limiter", LoginLimiter(api.login_max_failures,
                                                                    timedelta(seconds=api.login_window_seconds)))
    return found


def login(ctx: ServiceContext, username: str, password: str, *, address: str) -> LoginResult:
    """Open a session for ``username``; :class:`Unauthorized` for a wrong name, password or a disabled user,
    :class:`RateLimited` after too many failures from ``address``. Needs no actor: this makes one."""
    name, now, limits = username.strip(), sessions.utcnow(), limiter(ctx)
    origin = f"web {address}"
    wait = limits.retry_after(name, address, now)
    if wait:
        log.warning("api.login_locked", username=name, origin=origin, retry_after=wait)
        raise RateLimited(f"too many failed logins for {name} from {address}; try again in {wait} s",
                          retry_after=wait)
    users = ctx.repos.users
    user = users.get(name)
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or user.disabled:
        limits.failed(name, address, now)
        log.warning("api.login_failed", username=name, origin=origin, known=user is not None)
        record(ctx, Actor(name, Role.VIEWER, origin), "auth.login_failed",
               detail={"reason": "disabled" if ok and user is not None else "bad credentials"})
        raise Unauthorized(BAD_LOGIN)
    limits.succeeded(name, address)
    if needs_rehash(user.password_hash):
        users.update(user.username, password_hash=hash_password(password))
    users.purge_expired(now)  # sessions nobody used again until they expired
    token, session = sessions.open_session(ctx, user, origin)
    users.logged_in(user.id, now)
    record(ctx, Actor(user.username, Role(user.role), origin), "auth.login")
    log.info("api.login", username=user.username, origin=origin)
    return LoginResult(username=user.username, role=Role(user.role), csrf_token=session.csrf_token,
                       expires_at=session.expires_at, token=token)


def logout(ctx: ServiceContext, actor: Actor, token: str) -> None:
    """End the session of ``token``."""
    sessions.close(ctx, token)
    record(ctx, actor, "auth.logout")


def session_info(actor: Actor, session: StoredSession) -> SessionInfo:
    return SessionInfo(username=actor.name, role=actor.role, csrf_token=session.csrf_token,
                       expires_at=session.expires_at)
