"""Running a small backtest from the backtests page: progress to done, then its metrics and deals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Server
from tests.browser.helpers import go, numbers

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

#: The first session of the synthetic market the example config trades (Monday 2026-01-05; a few seconds).
FROM, TO = "2026-01-05", "2026-01-05"


def test_a_small_backtest_runs_from_the_page_and_shows_its_metrics_and_deals(
        page: Any, login: Any, shot: Any, theo_server: Server) -> None:
    login(page, "trader")
    go(page, "backtests")
    page.get_by_test_id("backtest-from").fill(FROM)
    page.get_by_test_id("backtest-to").fill(TO)
    with page.expect_response(lambda r: r.url.endswith("/api/v1/backtests") and r.request.method == "POST") as sent:
        page.get_by_test_id("backtest-run").click()
    assert sent.value.status == 202, sent.value.text()
    run_id = sent.value.json()["id"]
    progress = page.get_by_test_id("backtest-progress")
    expect(progress).to_be_visible()
    shot(page, "backtests-running")
    expect(progress).to_contain_text("completed 100%", timeout=120_000)
    expect(progress).to_have_attribute("aria-valuenow", "100")
    with theo_server.api("viewer") as api:
        run = api.get(f"/backtests/{run_id}").json()
        deals = api.get(f"/backtests/{run_id}/deals", params={"limit": 1000}).json()
    assert run["status"] == "completed"
    assert not run["error"]
    assert run["progress"] == pytest.approx(1.0)
    assert run["params"]["from"] == FROM
    metrics = page.get_by_test_id("backtest-metrics")
    expect(metrics).to_be_visible()
    trades = run["metrics"]["trades"]
    assert trades == deals["total"] > 0
    # Each metric is its label beside its value: "Trades 7".
    shown = metrics.get_by_text("Trades", exact=True).locator("xpath=..").inner_text()
    assert numbers(shown) == [Decimal(trades)], shown
    table = page.get_by_test_id("backtest-deals")
    expect(table).to_be_visible()
    shot(page, "backtests-done")
    first = deals["items"][0]
    expect(table).to_contain_text(str(first["symbol"]))
    expect(table.locator("tbody tr")).to_have_count(min(deals["total"], 200))  # the page shows the first 200
    with theo_server.api("viewer") as api:
        listed = api.get("/backtests").json()
    assert run_id in [item["id"] for item in listed["items"]]
    expect(page.get_by_test_id("backtests-table").get_by_test_id(f"row-{run_id}")).to_be_visible()
