"""The ``api_users`` and ``api_sessions`` tables: dashboard users (argon2 hashes) and their login sessions.

Sessions are stored by the SHA-256 of their token; the token itself exists only in the browser (or script)
that logged in, so a copy of the database cannot be replayed as a login.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from theo.persistence.db import transaction
from theo.persistence.models.web import ApiSessionRow, ApiUserRow
from theo.persistence.repositories.base import Repository


@dataclass(frozen=True, slots=True)
class StoredUser:
    """A user as stored (``password_hash`` is argon2's encoded hash, never the password)."""

    id: int
    username: str
    password_hash: str
    role: str
    disabled: bool
    created_at: datetime
    last_login: datetime | None


@dataclass(frozen=True, slots=True)
class StoredSession:
    """A login session joined with its user."""

    token_hash: str
    user: StoredUser
    created_at: datetime
    expires_at: datetime
    last_seen: datetime
    csrf_token: str
    origin: str


class DuplicateUser(Exception):
    """A user of that name exists already."""


def _user(row: ApiUserRow) -> StoredUser:
    return StoredUser(row.id, row.username, row.password_hash, row.role, row.disabled, row.created_at,
                      row.last_login)


class UserRepository(Repository):
    """Users and their sessions on one store."""

    # -- users ----------------------------------------------------------------------------------------------
    def create(self, username: str, password_hash: str, role: str, now: datetime) -> StoredUser:
        """Add a user; raise :class:`DuplicateUser` when the name is taken."""
        try:
            with transaction(self.engine) as s:
                row = ApiUserRow(username=username, password_hash=password_hash, role=role, disabled=False,
                                 created_at=now)
                s.add(row)
                s.flush()
                return _user(row)
        except IntegrityError:
            raise DuplicateUser(username) from None

    def get(self, username: str) -> StoredUser | None:
        with transaction(self.engine) as s:
            row = s.scalars(select(ApiUserRow).where(ApiUserRow.username == username)).first()
            return None if row is None else _user(row)

    def list(self, limit: int = 100, offset: int = 0) -> tuple[list[StoredUser], int]:
        """Users by name, a page of them and the total."""
        with transaction(self.engine) as s:
            total = s.scalar(select(func.count()).select_from(ApiUserRow)) or 0
            rows = s.scalars(select(ApiUserRow).order_by(ApiUserRow.username).limit(limit).offset(offset))
            return [_user(r) for r in rows], int(total)

    def count(self) -> int:
        with transaction(self.engine) as s:
            return int(s.scalar(select(func.count()).select_from(ApiUserRow)) or 0)

    def count_admins(self) -> int:
        """Enabled admins (the last one may not be demoted, disabled or deleted)."""
        with transaction(self.engine) as s:
            q = select(func.count()).select_from(ApiUserRow).where(ApiUserRow.role == "admin",
                                                                    ApiUserRow.disabled.is_(False))
            return int(s.scalar(q) or 0)

    def update(self, username: str, *, role: str | None = None, disabled: bool | None = None,
               password_hash: str | None = None) -> StoredUser | None:
        """Change the given fields of ``username``; return the user as it is now (``None``: no such user).

        Disabling a user or changing their password ends their sessions in the same transaction.
        """
        with transaction(self.engine) as s:
            row = s.scalars(select(ApiUserRow).where(ApiUserRow.username == username)).first()
            if row is None:
                return None
            if role is not None:
                row.role = role
            if disabled is not None:
                row.disabled = disabled
            if password_hash is not None:
                row.password_hash = password_hash
            if disabled or password_hash is not None:
                s.execute(delete(ApiSessionRow).where(ApiSessionRow.user_id == row.id))
            s.flush()
            return _user(row)

    def delete(self, username: str) -> bool:
        """Remove ``username`` and their sessions; ``False`` when there was no such user."""
        with transaction(self.engine) as s:
            row = s.scalars(select(ApiUserRow).where(ApiUserRow.username == username)).first()
            if row is None:
                return False
            s.execute(delete(ApiSessionRow).where(ApiSessionRow.user_id == row.id))
            s.delete(row)
            return True

    def logged_in(self, user_id: int, now: datetime) -> None:
        with transaction(self.engine) as s:
            s.execute(update(ApiUserRow).where(ApiUserRow.id == user_id).values(last_login=now))

    # -- sessions -------------------------------------------------------------------------------------------
    def open_session(self, token_hash: str, user_id: int, now: datetime, expires_at: datetime, csrf_token: str,
                     origin: str) -> None:
        with transaction(self.engine) as s:
            s.add(ApiSessionRow(token_hash=token_hash, user_id=user_id, created_at=now, expires_at=expires_at,
                                last_seen=now, csrf_token=csrf_token, origin=origin[:100]))

    def session(self, token_hash: str) -> StoredSession | None:
        """The session with this token hash and its user (expired or not: the caller decides)."""
        with transaction(self.engine) as s:
            found = s.execute(select(ApiSessionRow, ApiUserRow).join(ApiUserRow, ApiUserRow.id == ApiSessionRow.user_id)
                              .where(ApiSessionRow.token_hash == token_hash)).first()
            if found is None:
                return None
            sess, user = found
            return StoredSession(sess.token_hash, _user(user), sess.created_at, sess.expires_at, sess.last_seen,
                                 sess.csrf_token, sess.origin)

    def touch(self, token_hash: str, now: datetime, expires_at: datetime) -> None:
        """Slide the session: seen at ``now``, valid until ``expires_at``."""
        with transaction(self.engine) as s:
            s.execute(update(ApiSessionRow).where(ApiSessionRow.token_hash == token_hash)
                      .values(last_seen=now, expires_at=expires_at))

    def close_session(self, token_hash: str) -> bool:
        with transaction(self.engine) as s:
            result = s.execute(delete(ApiSessionRow).where(ApiSessionRow.token_hash == token_hash))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def purge_expired(self, now: datetime) -> int:
        """Delete sessions past their expiry; return how many."""
        with transaction(self.engine) as s:
            result = s.execute(delete(ApiSessionRow).where(ApiSessionRow.expires_at <= now))
            return int(result.rowcount)  # type: ignore[attr-defined]
