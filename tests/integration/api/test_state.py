"""Halt, resume and the kill switch through the API: stored, audited, published, adopted by the engine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from tests.integration.api.conftest import RecordingSink
from theo.api.services.context import ServiceContext
from theo.core.clock import SimulatedClock
from theo.risk.state import State, TradingState


def test_state_starts_active_with_no_history(make_client: Callable[..., TestClient]) -> None:
    body = make_client("viewer").get("/api/v1/state").json()
    assert body == {"state": "ACTIVE", "reason": "", "actor": "", "since": None, "pending_kill": False,
                    "history": []}


def test_trader_halts_and_resumes_with_audit_before_after_and_events(
        make_client: Callable[..., TestClient], api_ctx: ServiceContext, api_events: RecordingSink) -> None:
    trader = make_client("trader")
    r = trader.post("/api/v1/state/halt", json={"reason": "news at 10:00"})
    assert r.status_code == 200
    body = r.json()
    assert (body["state"], body["reason"], body["actor"]) == ("HALTED", "news at 10:00", f"api:{trader.username}")
    assert [h["state"] for h in body["history"]] == ["HALTED"]
    assert api_events.published[-1] == ("state", {"state": "HALTED", "reason": "news at 10:00",
                                                  "actor": f"api:{trader.username}"})
    again = trader.post("/api/v1/state/halt", json={"reason": "twice"})
    assert again.status_code == 409
    assert "already HALTED" in again.json()["detail"]
    assert trader.post("/api/v1/state/resume", json={"reason": "news digested"}).json()["state"] == "ACTIVE"
    audit = trader.get("/api/v1/audit", params={"action": "state.*"}).json()
    assert [e["action"] for e in audit["items"]] == ["state.resume", "state.halt"]
    halt = audit["items"][1]
    assert halt["actor"] == trader.username
    assert halt["origin"] == "web testclient"
    assert halt["before"]["state"] == "ACTIVE"
    assert halt["after"]["state"] == "HALTED"
    assert halt["detail"] == {"reason": "news at 10:00"}
    assert audit["total"] == 2  # the state store's own audit row is not duplicated


def test_the_engine_adopts_a_halt_made_through_the_api(make_client: Callable[..., TestClient],
                                                       api_ctx: ServiceContext) -> None:
    engine_state = TradingState(SimulatedClock(datetime(2026, 1, 5, 15, tzinfo=UTC)),
                                store=api_ctx.repos.trading_state)
    assert engine_state.state is State.ACTIVE
    make_client("trader").post("/api/v1/state/halt", json={"reason": "stop it"})
    engine_state.refresh()
    assert engine_state.state is State.HALTED


def test_kill_with_flatten_is_a_pending_request_for_the_engine(make_client: Callable[..., TestClient],
                                                               api_ctx: ServiceContext) -> None:
    trader = make_client("trader")
    body = trader.post("/api/v1/state/kill", json={"reason": "runaway", "flatten": True}).json()
    assert (body["state"], body["pending_kill"]) == ("HALTED", True)
    request = api_ctx.repos.trading_state.pending_kill("")
    assert request is not None
    assert (request.flatten, request.reason) == (True, "runaway")
    assert trader.post("/api/v1/state/kill", json={"reason": "again"}).status_code == 200  # always taken


def test_viewer_cannot_halt_and_a_reason_is_required(make_client: Callable[..., TestClient]) -> None:
    viewer, trader = make_client("viewer"), make_client("trader")
    r = viewer.post("/api/v1/state/halt", json={"reason": "x"})
    assert r.status_code == 403
    assert "trader role" in r.json()["detail"]
    assert trader.post("/api/v1/state/halt", json={"reason": ""}).status_code == 422
    blank = trader.post("/api/v1/state/halt", json={"reason": "   "})
    assert blank.status_code == 422
    assert blank.json()["field"] == "reason"
    assert viewer.get("/api/v1/state").json()["state"] == "ACTIVE"
