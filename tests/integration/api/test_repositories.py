"""The users, sessions and audit repositories on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from theo.persistence.repositories.audit import AuditRepository
from theo.persistence.repositories.users import DuplicateUser, UserRepository

T = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> Engine:
    engine: Engine = request.getfixturevalue("sqlite_engine" if request.param == "sqlite" else "pg_engine")
    return engine


def test_users_and_sessions_round_trip(store: Engine) -> None:
    users = UserRepository(store)
    ann = users.create("ann", "hash-a", "admin", T)
    with pytest.raises(DuplicateUser):
        users.create("ann", "hash-b", "viewer", T)
    users.open_session("h1", ann.id, T, T + timedelta(hours=1), "csrf", "web 10.0.0.5")
    users.open_session("h2", ann.id, T, T - timedelta(seconds=1), "csrf2", "web 10.0.0.5")
    found = users.session("h1")
    assert found is not None
    assert (found.user.username, found.csrf_token, found.expires_at) == ("ann", "csrf", T + timedelta(hours=1))
    assert users.purge_expired(T) == 1
    assert users.session("h2") is None
    users.touch("h1", T + timedelta(minutes=5), T + timedelta(hours=2))
    assert users.session("h1").expires_at == T + timedelta(hours=2)  # type: ignore[union-attr]
    changed = users.update("ann", disabled=True)
    assert changed is not None
    assert changed.disabled
    assert users.session("h1") is None  # disabling ends the sessions
    assert users.count_admins() == 0
    assert users.delete("ann")
    assert users.list() == ([], 0)


def test_audit_entries_filter_by_actor_and_action_prefix(store: Engine) -> None:
    audit = AuditRepository(store)
    audit.append(T, "ann", "state.halt", origin="web 1.2.3.4", before={"state": "ACTIVE"}, after={"state": "HALTED"})
    audit.append(T, "bob", "state.resume", origin="web 1.2.3.5")
    audit.append(T, "ann", "user.create", after={"username": "carl"})
    entries, total = audit.list(action="state.*")
    assert total == 2
    assert [e.action for e in entries] == ["state.resume", "state.halt"]
    assert entries[1].before == {"state": "ACTIVE"}
    only_ann, n = audit.list(actor="ann", limit=1)
    assert n == 2
    assert [e.action for e in only_ann] == ["user.create"]
