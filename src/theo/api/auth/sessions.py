"""Login sessions: a random token per login, stored only as its SHA-256, sliding expiry, a CSRF token each.

A browser holds the token in the ``theo_session`` cookie (HttpOnly, SameSite=Strict) and echoes the session's
CSRF token in ``X-CSRF-Token`` on every unsafe request; a script sends ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from theo.api.services.context import ServiceContext
from theo.api.services.errors import Unauthorized
from theo.persistence.repositories.users import StoredSession, StoredUser

SESSION_COOKIE = "theo_session"
CSRF_HEADER = "X-CSRF-Token"
#: A session's ``last_seen``/expiry is written at most this often (not on every request).
TOUCH_EVERY = timedelta(seconds=60)


def utcnow() -> datetime:
    """The wall clock (UTC) the sessions are timed by."""
    return datetime.now(UTC)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def lifetime(ctx: ServiceContext) -> timedelta:
    return timedelta(hours=ctx.config.api.session_hours)


def open_session(ctx: ServiceContext, user: StoredUser, origin: str) -> tuple[str, StoredSession]:
    """Start a session of ``user``; return its token (shown once, never stored) and the session."""
    token, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(24), utcnow()
    expires = now + lifetime(ctx)
    ctx.repos.users.open_session(token_hash(token), user.id, now, expires, csrf, origin)
    return token, StoredSession(token_hash(token), user, now, expires, now, csrf, origin)


def resolve(ctx: ServiceContext, token: str) -> StoredSession:
    """The live session of ``token``, its expiry slid forward; :class:`Unauthorized` when there is none."""
    users = ctx.repos.users
    found = users.session(token_hash(token)) if token else None
    now = utcnow()
    if found is None:
        raise Unauthorized("not logged in, or the session ended; log in again")
    if found.expires_at <= now:
        users.close_session(found.token_hash)
        raise Unauthorized("the session expired; log in again")
    if found.user.disabled:
        users.close_session(found.token_hash)
        raise Unauthorized(f"user {found.user.username} is disabled")
    if now - found.last_seen >= TOUCH_EVERY:
        expires = now + lifetime(ctx)
        users.touch(found.token_hash, now, expires)
        return StoredSession(found.token_hash, found.user, found.created_at, expires, now, found.csrf_token,
                             found.origin)
    return found


def close(ctx: ServiceContext, token: str) -> None:
    ctx.repos.users.close_session(token_hash(token))
