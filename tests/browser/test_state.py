"""Halting and resuming trading from the overview; who may, and the audit trail it leaves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Server
from tests.browser.helpers import csrf, go

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]


@pytest.fixture
def active(theo_server: Server) -> Iterator[None]:
    """Trading is ACTIVE before the test and again after it, whatever the test left."""
    with theo_server.api("admin") as api:
        if api.get("/state").json()["state"] != "ACTIVE":
            api.post("/state/resume", json={"reason": "browser test set-up"}).raise_for_status()
        yield
        if api.get("/state").json()["state"] != "ACTIVE":
            api.post("/state/resume", json={"reason": "browser test clean-up"}).raise_for_status()


def _confirm(page: Any, button: str, reason: str) -> None:
    page.get_by_test_id(button).click()
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_be_visible()
    page.get_by_test_id("confirm-reason").fill(reason)
    page.get_by_test_id("confirm-ok").click()
    expect(dialog).to_be_hidden()


def test_a_trader_halts_trading_after_confirming_resumes_it_and_the_audit_page_shows_both(
        page: Any, login: Any, shot: Any, theo_server: Server, active: None) -> None:
    trader = login(page, "trader")
    badge = page.get_by_test_id("state-badge")
    expect(badge).to_have_text("ACTIVE")
    page.get_by_test_id("btn-halt").click()
    expect(page.get_by_test_id("confirm-dialog")).to_be_visible()
    shot(page, "overview-confirm-halt")
    page.get_by_test_id("confirm-cancel").click()
    expect(page.get_by_test_id("confirm-dialog")).to_be_hidden()
    expect(badge).to_have_text("ACTIVE")  # cancelling the dialog changes nothing
    with theo_server.api("viewer") as api:
        assert api.get("/state").json()["state"] == "ACTIVE"

    _confirm(page, "btn-halt", "browser test: news at 10:00")
    expect(badge).to_have_text("HALTED")
    shot(page, "overview-halted")
    with theo_server.api("viewer") as api:
        state = api.get("/state").json()
    assert (state["state"], state["reason"]) == ("HALTED", "browser test: news at 10:00")
    assert trader.username in state["actor"]

    _confirm(page, "btn-resume", "browser test: news digested")
    expect(badge).to_have_text("ACTIVE")
    shot(page, "overview-resumed")

    with theo_server.api("viewer") as api:
        halts = api.get("/audit", params={"action": "state.halt", "actor": trader.username}).json()["items"]
        resumes = api.get("/audit", params={"action": "state.resume", "actor": trader.username}).json()["items"]
    assert len(halts) == 1
    assert len(resumes) == 1
    halt, resume = halts[0], resumes[0]
    assert "ACTIVE" in str(halt["before"])
    assert "HALTED" in str(halt["after"])
    assert "HALTED" in str(resume["before"])
    assert "ACTIVE" in str(resume["after"])
    go(page, "audit")
    table = page.get_by_test_id("audit-table")
    for entry in (halt, resume):
        row = table.get_by_test_id(f"row-{entry['id']}")
        expect(row).to_contain_text(entry["action"])
        expect(row).to_contain_text(trader.username)
    expect(table.get_by_test_id(f"row-{halt['id']}")).to_contain_text("news at 10:00")
    shot(page, "audit")


def test_a_viewer_has_no_halt_button_to_press_and_the_api_refuses_the_halt(
        page: Any, login: Any, shot: Any, theo_server: Server, active: None) -> None:
    login(page, "viewer")
    expect(page.get_by_test_id("state-badge")).to_have_text("ACTIVE")
    halt = page.get_by_test_id("btn-halt")
    if halt.count():
        expect(halt).to_be_disabled()
    shot(page, "overview")
    r = page.request.post("/api/v1/state/halt", data={"reason": "a viewer tries"},
                          headers={"X-CSRF-Token": csrf(page)})
    assert r.status == 403, r.text()
    with theo_server.api("viewer") as api:
        assert api.get("/state").json()["state"] == "ACTIVE"
        tries = api.get("/audit", params={"action": "state.halt", "actor": theo_server.users["viewer"].username})
    assert tries.json()["total"] == 0
