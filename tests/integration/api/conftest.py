"""Fixtures for the API's tests: the real FastAPI app on a migrated SQLite store, and logged-in clients.

* ``api_config``: the :class:`TheoConfig` the app runs with (defaults; override the fixture in a test module
  to change a section, e.g. ``TheoConfig.model_validate({"api": {"session_hours": 1}})``).
* ``api_store``: the migrated SQLite store (``sqlite_engine`` of ``tests/conftest.py``).
* ``api_events``: a :class:`RecordingSink`, the context's event sink; ``.published`` lists ``(kind, data)``.
* ``api_ctx``: the :class:`ServiceContext` the app serves (``config``, ``store``, ``events``, no run; set
  ``api_ctx.run`` or ``api_ctx.config_path`` before the first request when a test needs them).
* ``api_app``: ``create_app(api_ctx)``.
* ``make_client(role, *, csrf=True, username=None, password=None)``: a Starlette ``TestClient`` of
  ``api_app`` logged in through the real ``POST /api/v1/auth/login`` as a fresh user of ``role``
  (``"viewer"``, ``"trader"``, ``"admin"`` or a :class:`Role`). It carries the session cookie and sends the
  session's ``X-CSRF-Token`` header on every request (``csrf=False`` leaves it out). ``client.username``,
  ``client.password``, ``client.csrf_token`` and ``client.token`` (the bearer token) are set. Clients are
  closed after the test.
* ``anon_client``: a ``TestClient`` without a session.
* ``add_user(ctx, role, username=None, password=PASSWORD)``: store a user directly; returns the name.

argon2 runs with minimal cost parameters in these tests (autouse fixture ``_cheap_hashes``).

URLs are full paths: ``client.get("/api/v1/trades")``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from theo.api.app import create_app
from theo.api.auth.passwords import hash_password
from theo.api.services.context import Role, ServiceContext
from theo.config import TheoConfig

PASSWORD = "correct horse battery staple"
_names = itertools.count(1)


class RecordingSink:
    """An event sink that keeps what was published."""

    def __init__(self) -> None:
        self.published: list[tuple[str, dict[str, Any]]] = []

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        self.published.append((kind, data))

    def kinds(self) -> list[str]:
        return [k for k, _ in self.published]


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with minimal cost: the tests create many users (the real parameters cost ~50 ms a hash)."""
    from argon2 import PasswordHasher

    from theo.api.auth import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def api_config() -> TheoConfig:
    return TheoConfig()


@pytest.fixture
def api_store(sqlite_engine: Engine) -> Engine:
    return sqlite_engine


@pytest.fixture
def api_events() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def api_ctx(api_config: TheoConfig, api_store: Engine, api_events: RecordingSink) -> ServiceContext:
    return ServiceContext(config=api_config, store=api_store, events=api_events)


@pytest.fixture
def api_app(api_ctx: ServiceContext) -> FastAPI:
    return create_app(api_ctx)


def add_user(ctx: ServiceContext, role: Role | str, username: str | None = None, password: str = PASSWORD) -> str:
    """Store a user directly (no audit entry); return the name."""
    from datetime import UTC, datetime

    name = username or f"{Role(role).value}{next(_names)}"
    ctx.repos.users.create(name, hash_password(password), Role(role).value, datetime.now(UTC))
    return name


@pytest.fixture
def anon_client(api_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(api_app) as client:
        yield client


@pytest.fixture
def make_client(api_app: FastAPI, api_ctx: ServiceContext) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(role: Role | str = Role.VIEWER, *, csrf: bool = True, username: str | None = None,
             password: str = PASSWORD) -> TestClient:
        name = add_user(api_ctx, role, username, password)
        client = TestClient(api_app)
        client.__enter__()
        clients.append(client)
        answer = client.post("/api/v1/auth/login", json={"username": name, "password": password})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        if csrf:
            client.headers["X-CSRF-Token"] = body["csrf_token"]
        client.username, client.password = name, password  # type: ignore[attr-defined]
        client.csrf_token, client.token = body["csrf_token"], body["token"]  # type: ignore[attr-defined]
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
