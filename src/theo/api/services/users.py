"""Managing dashboard users (admin only): list, create, change role / disabled / password, delete.

The last enabled admin can be neither demoted, disabled nor deleted, so the dashboard is never left without
someone who can manage it. Passwords are hashed with argon2 and never returned, logged or audited.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime

from pydantic import BaseModel, Field

from theo.api.auth.passwords import MAX_LENGTH, check_password_rules, hash_password
from theo.api.services.audit import record
from theo.api.services.context import Actor, Role, ServiceContext
from theo.api.services.errors import Conflict, Invalid, NotFound
from theo.core.logging import get_logger
from theo.persistence.repositories.users import DuplicateUser, StoredUser

log = get_logger(__name__)
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
ADMIN_ENV = ("THEO_ADMIN_USERNAME", "THEO_ADMIN_PASSWORD")


class UserItem(BaseModel):
    username: str
    role: Role
    disabled: bool
    created_at: datetime
    last_login: datetime | None


class UserPage(BaseModel):
    items: list[UserItem]
    total: int


class NewUser(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=MAX_LENGTH)
    role: Role = Role.VIEWER


class UserChange(BaseModel):
    role: Role | None = None
    disabled: bool | None = None
    password: str | None = Field(default=None, min_length=1, max_length=MAX_LENGTH)


def _item(u: StoredUser) -> UserItem:
    return UserItem(username=u.username, role=Role(u.role), disabled=u.disabled, created_at=u.created_at,
                    last_login=u.last_login)


def _public(u: StoredUser) -> dict[str, object]:
    return {"role": u.role, "disabled": u.disabled}


def check_username(username: str) -> str:
    name = username.strip()
    if not USERNAME.match(name):
        raise Invalid(f"user name {username!r}: use 1-64 letters, digits and _ . @ -, starting with a letter or "
                      f"digit", field="username")
    return name


def list_users(ctx: ServiceContext, actor: Actor, *, limit: int = 100, offset: int = 0) -> UserPage:
    actor.require(Role.ADMIN, "listing users")
    users, total = ctx.repos.users.list(limit, offset)
    return UserPage(items=[_item(u) for u in users], total=total)


def create_user(ctx: ServiceContext, actor: Actor, new: NewUser) -> UserItem:
    """Add a user; :class:`Conflict` when the name is taken."""
    actor.require(Role.ADMIN, "creating users")
    name = check_username(new.username)
    check_password_rules(new.password, name)
    try:
        user = ctx.repos.users.create(name, hash_password(new.password), new.role.value, datetime.now(UTC))
    except DuplicateUser:
        raise Conflict(f"user {name} exists already; change it with PATCH /users/{name}", field="username") from None
    record(ctx, actor, "user.create", after={"username": name, **_public(user)})
    log.info("api.user_created", username=name, role=new.role.value, by=actor.name)
    return _item(user)


def _get(ctx: ServiceContext, username: str) -> StoredUser:
    user = ctx.repos.users.get(username)
    if user is None:
        raise NotFound(f"no user {username!r}; GET /users lists them")
    return user


def _keeps_an_admin(ctx: ServiceContext, user: StoredUser, what: str) -> None:
    if user.role == Role.ADMIN and not user.disabled and ctx.repos.users.count_admins() <= 1:
        raise Conflict(f"{user.username} is the last enabled admin and cannot be {what}; make another admin first")


def update_user(ctx: ServiceContext, actor: Actor, username: str, change: UserChange) -> UserItem:
    """Change role, disabled and/or password; disabling or a new password ends the user's sessions."""
    actor.require(Role.ADMIN, "changing users")
    user = _get(ctx, username)
    if change.role is not None and change.role is not Role.ADMIN:
        _keeps_an_admin(ctx, user, f"made a {change.role.value}")
    if change.disabled:
        _keeps_an_admin(ctx, user, "disabled")
    if change.password is not None:
        check_password_rules(change.password, user.username)
    updated = ctx.repos.users.update(user.username, role=change.role.value if change.role else None,
                                     disabled=change.disabled,
                                     password_hash=hash_password(change.password) if change.password else None)
    if updated is None:
        raise NotFound(f"no user {username!r}; GET /users lists them")
    record(ctx, actor, "user.update", before={"username": user.username, **_public(user)},
           after={"username": user.username, **_public(updated)},
           detail={"password_changed": change.password is not None})
    return _item(updated)


def delete_user(ctx: ServiceContext, actor: Actor, username: str) -> None:
    actor.require(Role.ADMIN, "deleting users")
    user = _get(ctx, username)
    _keeps_an_admin(ctx, user, "deleted")
    ctx.repos.users.delete(user.username)
    record(ctx, actor, "user.delete", before={"username": user.username, **_public(user)})


def ensure_first_admin(ctx: ServiceContext, env: dict[str, str] | None = None) -> str | None:
    """Create the first admin from ``THEO_ADMIN_USERNAME`` / ``THEO_ADMIN_PASSWORD`` when no user exists;
    return their name (``None``: users exist, or the variables are unset)."""
    env = dict(os.environ) if env is None else env
    name, password = (env.get(k, "") for k in ADMIN_ENV)
    if ctx.repos.users.count() > 0:
        return None
    if not name or not password:
        log.warning("api.no_users", hint="create an admin: theo users create NAME --role admin, or set "
                                         "THEO_ADMIN_USERNAME and THEO_ADMIN_PASSWORD before starting")
        return None
    system = Actor("system", Role.ADMIN, "env")
    create_user(ctx, system, NewUser(username=name, password=password, role=Role.ADMIN))
    log.info("api.first_admin", username=name, source="THEO_ADMIN_USERNAME/THEO_ADMIN_PASSWORD")
    return name
