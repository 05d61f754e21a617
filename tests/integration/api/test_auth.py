"""Login, sessions, CSRF, roles and the rate limit, through the real app on a real store."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from fastapi.testclient import TestClient

from tests.integration.api.conftest import PASSWORD, add_user
from theo.api.app import API_PREFIX
from theo.api.auth import sessions
from theo.api.services.context import ServiceContext

OPEN = {f"{API_PREFIX}/health", f"{API_PREFIX}/auth/login"}


def _example_path(path: str) -> str:
    return path.replace("{", "").replace("}", "")  # /users/{username} -> /users/username


def test_login_returns_session_and_sets_a_strict_httponly_cookie(anon_client: TestClient,
                                                                 api_ctx: ServiceContext) -> None:
    name = add_user(api_ctx, "trader")
    r = anon_client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["username"] == name
    assert body["role"] == "trader"
    assert len(body["csrf_token"]) >= 20
    assert len(body["token"]) >= 40
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"theo_session={body['token']}")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Secure" not in cookie
    me = anon_client.get("/api/v1/auth/me").json()
    assert me == {"username": name, "role": "trader", "csrf_token": body["csrf_token"],
                  "expires_at": body["expires_at"]}
    stored = api_ctx.repos.users.session(sessions.token_hash(body["token"]))
    assert stored is not None
    assert stored.token_hash != body["token"]
    assert api_ctx.repos.users.get(name).last_login is not None  # type: ignore[union-attr]


def test_unknown_user_and_bad_password_get_the_same_401(anon_client: TestClient, api_ctx: ServiceContext) -> None:
    name = add_user(api_ctx, "viewer")
    bad = anon_client.post("/api/v1/auth/login", json={"username": name, "password": "wrong password!"})
    unknown = anon_client.post("/api/v1/auth/login", json={"username": "nobody", "password": PASSWORD})
    assert bad.status_code == unknown.status_code == 401
    assert bad.json() == unknown.json() == {"detail": "wrong user name or password"}
    assert "set-cookie" not in bad.headers


def test_every_route_but_health_and_login_answers_401_without_a_session(api_app: FastAPI,
                                                                        anon_client: TestClient) -> None:
    checked = 0
    for route in iter_route_contexts(api_app.routes):
        kind, path = type(route.original_route), route.path or ""
        if kind is APIRoute and path.startswith(API_PREFIX) and path not in OPEN:
            for method in (route.methods or set()) - {"HEAD", "OPTIONS"}:
                r = anon_client.request(method, _example_path(path))
                assert r.status_code == 401, f"{method} {path} answered {r.status_code} without a session"
                checked += 1
        elif kind is APIWebSocketRoute:
            with pytest.raises(Exception), anon_client.websocket_connect(path) as ws:  # noqa: B017, PT011
                ws.receive_json()
            checked += 1
    assert checked >= 6
    assert anon_client.get("/api/v1/health").json()["status"] == "ok"


def test_bearer_token_works_without_csrf_and_cookie_needs_it(make_client: Callable[..., TestClient],
                                                             api_app: FastAPI) -> None:
    admin = make_client("admin", csrf=False)
    new = {"username": "carol", "password": "a long enough password", "role": "viewer"}
    r = admin.post("/api/v1/users", json=new)
    assert r.status_code == 403
    assert "X-CSRF-Token" in r.json()["detail"]
    r = admin.post("/api/v1/users", json=new, headers={"X-CSRF-Token": "not-the-token"})
    assert r.status_code == 403
    with TestClient(api_app) as script:
        r = script.post("/api/v1/users", json=new, headers={"Authorization": f"Bearer {admin.token}"})
    assert r.status_code == 201
    assert r.json()["username"] == "carol"
    r = admin.post("/api/v1/users", json={**new, "username": "dave"}, headers={"X-CSRF-Token": admin.csrf_token})
    assert r.status_code == 201


def test_viewer_cannot_manage_users_and_admin_can(make_client: Callable[..., TestClient]) -> None:
    viewer, trader, admin = make_client("viewer"), make_client("trader"), make_client("admin")
    assert viewer.get("/api/v1/users").status_code == 403
    r = trader.post("/api/v1/users", json={"username": "x1", "password": "0123456789ab", "role": "admin"})
    assert r.status_code == 403
    assert "admin role" in r.json()["detail"]
    page = admin.get("/api/v1/users").json()
    assert page["total"] == 3
    assert {u["role"] for u in page["items"]} == {"viewer", "trader", "admin"}
    assert all("password" not in str(u) for u in page["items"])


def test_logout_ends_the_session(make_client: Callable[..., TestClient], api_app: FastAPI) -> None:
    client = make_client("viewer")
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401
    with TestClient(api_app) as script:
        r = script.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {client.token}"})
    assert r.status_code == 401


def test_expired_session_answers_401_and_activity_slides_the_expiry(
        make_client: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch) -> None:
    client = make_client("viewer")
    first = client.get("/api/v1/auth/me").json()["expires_at"]
    real = sessions.utcnow
    monkeypatch.setattr(sessions, "utcnow", lambda: real() + timedelta(hours=11))
    slid = client.get("/api/v1/auth/me").json()["expires_at"]
    assert slid > first  # seen 11 h later: valid 12 h from then
    monkeypatch.setattr(sessions, "utcnow", lambda: real() + timedelta(hours=11 + 12, minutes=1))
    r = client.get("/api/v1/auth/me")
    assert r.status_code == 401
    assert "expired" in r.json()["detail"]


def test_too_many_failures_lock_the_login_with_retry_after(anon_client: TestClient, api_ctx: ServiceContext) -> None:
    name = add_user(api_ctx, "viewer")
    for _ in range(api_ctx.config.api.login_max_failures):
        assert anon_client.post("/api/v1/auth/login", json={"username": name, "password": "nope nope"}
                                ).status_code == 401
    r = anon_client.post("/api/v1/auth/login", json={"username": name, "password": PASSWORD})
    assert r.status_code == 429
    assert 0 < int(r.headers["Retry-After"]) <= api_ctx.config.api.login_window_seconds
    other = add_user(api_ctx, "viewer")  # another user from the same address is not locked
    assert anon_client.post("/api/v1/auth/login", json={"username": other, "password": PASSWORD}).status_code == 200


def test_disabled_user_cannot_log_in_and_loses_their_sessions(make_client: Callable[..., TestClient],
                                                               anon_client: TestClient) -> None:
    admin, viewer = make_client("admin"), make_client("viewer")
    r = admin.patch(f"/api/v1/users/{viewer.username}", json={"disabled": True})
    assert r.status_code == 200
    assert r.json()["disabled"] is True
    assert viewer.get("/api/v1/auth/me").status_code == 401
    r = anon_client.post("/api/v1/auth/login", json={"username": viewer.username, "password": PASSWORD})
    assert r.status_code == 401


def test_password_never_appears_in_responses_audit_or_logs(make_client: Callable[..., TestClient],
                                                           anon_client: TestClient,
                                                           caplog: pytest.LogCaptureFixture,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    secret = "s3cret-Password-xyz"
    caplog.set_level(logging.DEBUG)
    admin = make_client("admin")
    answers = [admin.post("/api/v1/users", json={"username": "erin", "password": secret, "role": "trader"}),
               anon_client.post("/api/v1/auth/login", json={"username": "erin", "password": secret + "x"}),
               anon_client.post("/api/v1/auth/login", json={"username": "erin", "password": secret}),
               admin.patch("/api/v1/users/erin", json={"password": secret + "2"}),
               admin.get("/api/v1/users"), admin.get("/api/v1/audit")]
    assert all(secret not in a.text for a in answers)
    printed = capsys.readouterr()
    assert all(secret not in text and PASSWORD not in text for text in (caplog.text, printed.out, printed.err))
    actions = [e["action"] for e in admin.get("/api/v1/audit").json()["items"]]
    assert {"user.create", "user.update", "auth.login", "auth.login_failed"} <= set(actions)
