"""`theo users` on a real store: passwords from a prompt or stdin only, roles, disable, the first admin."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from theo.api.auth.passwords import verify_password
from theo.api.events import NoEvents
from theo.api.services.context import ServiceContext
from theo.api.services.users import ensure_first_admin
from theo.cli.main import app
from theo.config import load_config
from theo.persistence.repositories import Repositories, connect


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import os

    for name in list(os.environ):
        if name.startswith("THEO_"):
            monkeypatch.delenv(name)
    path = tmp_path / "theo.toml"
    path.write_text(f'[app]\ndata_dir = "{tmp_path / "var"}"\n', encoding="utf-8")
    return path


def _repos(cfg: Path) -> Repositories:
    return Repositories(connect(load_config(cfg).database_url()))


def test_users_are_managed_from_the_command_line(cfg: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["users", "create", "ann", "--role", "admin", "--password-stdin", "-c", str(cfg)],
                      input="a long admin password\n")
    assert r.exit_code == 0, r.output
    assert "user ann created (admin)" in r.output
    assert "a long admin password" not in r.output
    user = _repos(cfg).users.get("ann")
    assert user is not None
    assert verify_password(user.password_hash, "a long admin password")
    runner.invoke(app, ["users", "create", "bob", "--password-stdin", "-c", str(cfg)], input="bob's password!\n")
    assert runner.invoke(app, ["users", "set-role", "bob", "trader", "-c", str(cfg)]).exit_code == 0
    assert runner.invoke(app, ["users", "disable", "bob", "-c", str(cfg)]).exit_code == 0
    r = runner.invoke(app, ["users", "password", "bob", "--password-stdin", "-c", str(cfg)], input="another one!!\n")
    assert r.exit_code == 0
    listing = runner.invoke(app, ["users", "list", "-c", str(cfg)]).output
    assert "bob" in listing
    assert "trader" in listing
    assert "disabled" in listing
    bob = _repos(cfg).users.get("bob")
    assert bob is not None
    assert verify_password(bob.password_hash, "another one!!")
    actions = [e.action for e in _repos(cfg).audit.list()[0]]
    assert actions[:3] == ["user.update", "user.update", "user.update"]


def test_refusals_are_one_clear_line(cfg: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["users", "create", "ann", "-c", str(cfg)], input="")  # no terminal, no --password-stdin
    assert r.exit_code == 2
    assert "--password-stdin" in r.output
    r = runner.invoke(app, ["users", "create", "ann", "--password-stdin", "-c", str(cfg)], input="short\n")
    assert r.exit_code == 2
    assert "at least 10 characters" in r.output
    runner.invoke(app, ["users", "create", "ann", "--role", "admin", "--password-stdin", "-c", str(cfg)],
                  input="a long admin password\n")
    r = runner.invoke(app, ["users", "disable", "ann", "-c", str(cfg)])
    assert r.exit_code == 2
    assert "last enabled admin" in r.output
    r = runner.invoke(app, ["users", "create", "x", "--role", "boss", "--password-stdin", "-c", str(cfg)],
                      input="a long enough one\n")
    assert "use viewer, trader or admin" in r.output


def test_the_first_admin_comes_from_the_environment_once(cfg: Path) -> None:
    repos = _repos(cfg)
    from theo.persistence.repositories.schema import SchemaRepository

    SchemaRepository(repos.store).upgrade()
    ctx = ServiceContext(config=load_config(cfg), store=repos.store, events=NoEvents())
    assert ensure_first_admin(ctx, {}) is None  # nothing set: no user, no default password
    env = {"THEO_ADMIN_USERNAME": "root", "THEO_ADMIN_PASSWORD": "from the environment"}
    assert ensure_first_admin(ctx, env) == "root"
    assert ensure_first_admin(ctx, {**env, "THEO_ADMIN_USERNAME": "other"}) is None  # users exist: untouched
    page = repos.users.list()
    assert [(u.username, u.role) for u in page[0]] == [("root", "admin")]


def test_make_run_gets_a_first_admin_from_the_environment_or_a_hint(cfg: Path) -> None:
    """`theo users first-admin` (called by `make run`): no terminal and no variables → a hint and no user; with
    the variables → the admin, once; afterwards it does nothing."""
    runner = CliRunner()
    up = runner.invoke(app, ["db", "upgrade", "--config", str(cfg)])
    assert up.exit_code == 0, up.output
    hint = runner.invoke(app, ["users", "first-admin", "--config", str(cfg)])
    assert hint.exit_code == 0, hint.output
    assert "theo users create NAME --role admin" in hint.output
    assert _repos(cfg).users.count() == 0
    env = {"THEO_ADMIN_USERNAME": "ann", "THEO_ADMIN_PASSWORD": "a long secret phrase"}
    made = runner.invoke(app, ["users", "first-admin", "--config", str(cfg)], env=env)
    assert made.exit_code == 0, made.output
    assert "dashboard admin ann created" in made.output
    assert "a long secret phrase" not in made.output
    again = runner.invoke(app, ["users", "first-admin", "--config", str(cfg)], env={**env, "THEO_ADMIN_USERNAME": "bo"})
    assert again.exit_code == 0
    assert again.output == ""
    assert [u.username for u in _repos(cfg).users.list()[0]] == ["ann"]
