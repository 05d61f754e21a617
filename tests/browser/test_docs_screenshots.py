"""The dashboard screenshots of the docs (README, docs/dashboard.md): ``THEO_DOCS_SCREENSHOTS=1 pytest -m browser``.

They are taken at 1366x768 in the default dark theme, once the synthetic market has traded, and written to
``docs/images/dashboard-<page>.png``. Without the variable the test is skipped: a normal run leaves docs alone.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import REPO, Server
from tests.browser.helpers import go, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]
IMAGES = REPO / "docs" / "images"


def _backtest_done(server: Server) -> int:
    with server.api("trader") as api:
        done = [b for b in api.get("/backtests").json()["items"] if b["status"] == "completed"]
        if done:
            return int(done[0]["id"])
        started = api.post("/backtests", json={"name": "one session", "from": "2026-01-05", "to": "2026-01-05"})
        assert started.status_code == 202, started.text
        run_id = int(started.json()["id"])
        wait_for("the backtest", lambda: api.get(f"/backtests/{run_id}").json()["status"] == "completed", timeout=120)
    return run_id


@pytest.mark.skipif(os.environ.get("THEO_DOCS_SCREENSHOTS") != "1", reason="THEO_DOCS_SCREENSHOTS=1 writes them")
def test_docs_screenshots_of_each_dashboard_page(page: Any, login: Any, theo_server: Server) -> None:
    with theo_server.api("viewer") as api:
        wait_for("a few closed trades", lambda: api.get("/trades", params={"status": "closed"}).json()["total"] >= 3,
                 timeout=150, every=2)
    run_id = _backtest_done(theo_server)
    IMAGES.mkdir(parents=True, exist_ok=True)
    login(page, "admin")

    def save(name: str) -> None:
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(800)  # charts paint on the next frames, bars and tooltips ease in
        page.screenshot(path=str(IMAGES / f"dashboard-{name}.png"))

    expect(page.get_by_test_id("equity-chart")).to_be_visible()
    save("overview")
    with page.expect_response(lambda r: "/api/v1/charts/bars" in r.url and r.ok):
        go(page, "charts")
    with page.expect_response(lambda r: "/api/v1/charts/bars" in r.url and "symbol=SPY" in r.url and r.ok):
        page.get_by_test_id("symbol-select").select_option("SPY")  # the symbol the strategy trades: its entries
    expect(page.get_by_test_id("price-chart").locator("canvas").first).to_be_visible()
    save("charts")
    go(page, "correlation")
    page.get_by_test_id("heatmap-cell-SPY-QQQ").hover()
    expect(page.get_by_test_id("heatmap-tooltip")).to_be_visible()
    save("heatmap")
    go(page, "strategy")
    threshold = page.locator('[data-testid^="strategy-field-"][data-testid$="threshold"]').first
    threshold.scroll_into_view_if_needed()
    save("strategy")
    go(page, "backtests")
    page.get_by_test_id("backtests-table").get_by_test_id(f"row-{run_id}").click()
    expect(page.get_by_test_id("backtest-metrics")).to_be_visible()
    save("backtests")
