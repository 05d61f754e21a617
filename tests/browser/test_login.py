"""Logging in and out of the dashboard, as a trader does."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Server
from tests.browser.helpers import money, wait_for

CENT = Decimal("0.01")

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]


def test_a_trader_logs_in_sees_the_account_and_logs_out(page: Any, login: Any, shot: Any,
                                                         theo_server: Server) -> None:
    fetched: list[dict[str, Any]] = []
    page.on("response", lambda r: fetched.append(r.json()) if r.url.endswith("/api/v1/overview") and r.ok else None)
    login(page, "trader")
    with theo_server.api() as api:
        state = api.get("/state").json()["state"]
    expect(page.get_by_test_id("state-badge")).to_have_text(state)
    value = page.get_by_test_id("account-value")

    def shows_an_overview_it_fetched() -> bool:
        # The page refreshes its overview every few seconds (answers may cross): it shows, to the cent, the
        # account value of one of the overviews it received.
        answers = {Decimal(o["account_value"]).quantize(CENT) for o in fetched}
        return money(value.inner_text()) in answers

    wait_for("the account value of an overview the page fetched", shows_an_overview_it_fetched, timeout=15,
             every=0.2)
    shown = money(value.inner_text())
    assert Decimal("90000") < shown < Decimal("110000")  # the paper account starts with 100,000 USD
    expect(page.get_by_test_id("equity-chart")).to_be_visible()
    shot(page, "overview")
    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("login-username")).to_be_visible()
    assert page.request.get("/api/v1/auth/me").status == 401
    shot(page, "login")


def test_a_wrong_password_shows_the_error_and_opens_nothing(page: Any, shot: Any, theo_server: Server) -> None:
    user = theo_server.users["trader"]
    page.goto("/")
    page.get_by_test_id("login-username").fill(user.username)
    page.get_by_test_id("login-password").fill(user.password + "x")
    page.get_by_test_id("login-submit").click()
    error = page.get_by_test_id("login-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("wrong user name or password", ignore_case=True)
    expect(page.get_by_test_id("state-badge")).to_have_count(0)
    assert page.request.get("/api/v1/auth/me").status == 401
    shot(page, "login-error")
