"""`theo users`: the dashboard's users (create, list, change role, disable, enable, set a password, delete).

Passwords are typed at a hidden prompt (twice) or read from standard input with ``--password-stdin``; never
given on the command line, where ``ps`` and the shell history would keep them.
"""

from __future__ import annotations

import getpass
import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from theo.cli.common import ConfigOption, console, friendly_errors, get_config, open_store
from theo.core.errors import ConfigError
from theo.core.time import exchange_time

if TYPE_CHECKING:
    from theo.api.services.context import Actor, ServiceContext

users_app = typer.Typer(help="Dashboard users: create, list, roles, disable, passwords.", no_args_is_help=True)
RoleArg = Annotated[str, typer.Argument(help="viewer (reads), trader (also halts and edits settings) or admin "
                                             "(also manages users)", show_default=False)]
StdinOption = Annotated[bool, typer.Option("--password-stdin", help="read the password from standard input "
                                                                    "(one line) instead of prompting")]


def _session(config: ConfigOption) -> tuple[ServiceContext, Actor]:
    from theo.api.events import NoEvents
    from theo.api.services.context import Actor, Role, ServiceContext

    cfg = get_config(config)
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "cli"
    return ServiceContext(config=cfg, store=open_store(cfg), events=NoEvents()), Actor(f"cli:{user}", Role.ADMIN,
                                                                                      "cli")


def _role(value: str) -> Any:
    from theo.api.services.context import Role

    try:
        return Role(value.strip().lower())
    except ValueError:
        raise ConfigError(f"role {value!r}: use viewer, trader or admin") from None


def read_password(from_stdin: bool) -> str:
    """The new password: one line of standard input, or typed twice at a hidden prompt."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise ConfigError("--password-stdin: standard input held no password")
        return password
    if not sys.stdin.isatty():
        raise ConfigError("no terminal to prompt for the password; pipe it in with --password-stdin")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("password (again): "):
        raise ConfigError("the two passwords differ; nothing was changed")
    return first


@users_app.command("create")
@friendly_errors
def create_command(username: Annotated[str, typer.Argument(help="the login name", show_default=False)],
                   role: Annotated[str, typer.Option("--role", help="viewer, trader or admin")] = "viewer",
                   password_stdin: StdinOption = False, config: ConfigOption = None) -> None:
    """Create a user (prompts for the password twice)."""
    from theo.api.services.users import NewUser, create_user

    chosen = _role(role)
    password = read_password(password_stdin)
    ctx, actor = _session(config)
    user = create_user(ctx, actor, NewUser(username=username, password=password, role=chosen))
    console.print(f"user {user.username} created ({user.role.value})")


@users_app.command("list")
@friendly_errors
def list_command(config: ConfigOption = None) -> None:
    """List the users with their role, state and last login."""
    from theo.api.services.users import list_users

    ctx, actor = _session(config)
    page = list_users(ctx, actor, limit=1000)
    if not page.items:
        console.print("no users yet; create an admin: theo users create NAME --role admin")
        return
    table = Table(title=f"{page.total} user(s)")
    for col in ("user", "role", "state", "created (ET)", "last login (ET)"):
        table.add_column(col)
    for u in page.items:
        table.add_row(u.username, u.role.value, "disabled" if u.disabled else "enabled", exchange_time(u.created_at),
                      exchange_time(u.last_login) if u.last_login else "-")
    console.print(table)


def _change(config: ConfigOption, username: str, what: str, **change: object) -> None:
    from theo.api.services.users import UserChange, update_user

    ctx, actor = _session(config)
    user = update_user(ctx, actor, username, UserChange.model_validate(change))
    console.print(f"user {user.username}: {what} (role {user.role.value}, "
                  f"{'disabled' if user.disabled else 'enabled'})")


@users_app.command("set-role")
@friendly_errors
def set_role_command(username: Annotated[str, typer.Argument(show_default=False)], role: RoleArg,
                     config: ConfigOption = None) -> None:
    """Change a user's role."""
    _change(config, username, "role changed", role=_role(role))


@users_app.command("disable")
@friendly_errors
def disable_command(username: Annotated[str, typer.Argument(show_default=False)], config: ConfigOption = None) -> None:
    """Disable a user: their sessions end and they cannot log in."""
    _change(config, username, "disabled; their sessions ended", disabled=True)


@users_app.command("enable")
@friendly_errors
def enable_command(username: Annotated[str, typer.Argument(show_default=False)], config: ConfigOption = None) -> None:
    """Enable a disabled user again."""
    _change(config, username, "enabled", disabled=False)


@users_app.command("password")
@friendly_errors
def password_command(username: Annotated[str, typer.Argument(show_default=False)], password_stdin: StdinOption = False,
                     config: ConfigOption = None) -> None:
    """Set a user's password (prompts twice); their sessions end."""
    password = read_password(password_stdin)
    _change(config, username, "password changed; their sessions ended", password=password)


@users_app.command("delete")
@friendly_errors
def delete_command(username: Annotated[str, typer.Argument(show_default=False)], config: ConfigOption = None) -> None:
    """Delete a user and their sessions."""
    from theo.api.services.users import delete_user

    ctx, actor = _session(config)
    delete_user(ctx, actor, username)
    console.print(f"user {username} deleted")


@users_app.command("first-admin")
@friendly_errors
def first_admin_command(config: ConfigOption = None) -> None:
    """Make sure the dashboard has a user: when none exists, create the admin from THEO_ADMIN_USERNAME /
    THEO_ADMIN_PASSWORD, or ask for a name and password at the terminal (``make run`` calls this)."""
    from theo.api.services.users import ADMIN_ENV, NewUser, create_user, ensure_first_admin

    ctx, actor = _session(config)
    if ctx.repos.users.count() > 0:
        return
    if all(os.environ.get(name) for name in ADMIN_ENV):
        console.print(f"dashboard admin {ensure_first_admin(ctx)} created from THEO_ADMIN_USERNAME / "
                      f"THEO_ADMIN_PASSWORD")
        return
    if not sys.stdin.isatty():
        console.print("the dashboard has no user yet: create one with theo users create NAME --role admin "
                      "(or set THEO_ADMIN_USERNAME and THEO_ADMIN_PASSWORD)", soft_wrap=True)
        return
    console.print("The dashboard has no user yet: create its first admin (the password is asked twice and stored "
                  "only as an argon2 hash).", soft_wrap=True)
    name = input("admin user name [admin]: ").strip() or "admin"
    user = create_user(ctx, actor, NewUser(username=name, password=read_password(False), role=_role("admin")))
    console.print(f"user {user.username} created (admin); log in at the dashboard with it")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(users_app, name="users")
