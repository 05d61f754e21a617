"""Changing the correlation strategy's threshold from its page: saved to the config file, audited, validated."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Server
from tests.browser.helpers import go

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]


def _input(page: Any, field: str) -> Any:
    """The input of a strategy form field (the test id is on the input or on its wrapper)."""
    found = page.locator(f'[data-testid^="strategy-field-"][data-testid$="{field}"]').first
    expect(found).to_be_visible()
    tag = found.evaluate("e => e.tagName")
    return found if tag in ("INPUT", "SELECT", "TEXTAREA") else found.locator("input, select, textarea").first


def _threshold_in_file(server: Server) -> float:
    return float(tomllib.loads(server.config.read_text())["strategies"][0]["correlation"]["threshold"])


def test_a_trader_changes_the_correlation_threshold_and_the_audit_log_shows_before_and_after(
        page: Any, login: Any, shot: Any, theo_server: Server) -> None:
    trader = login(page, "trader")
    go(page, "strategy")
    threshold = _input(page, "threshold")
    before = Decimal(threshold.input_value())
    assert before == Decimal(str(_threshold_in_file(theo_server)))
    shot(page, "strategy")
    after = before + Decimal("0.05")
    threshold.fill(str(after))
    page.get_by_test_id("strategy-save").click()
    expect(page.get_by_test_id("save-ok")).to_be_visible()
    shot(page, "strategy-saved")
    assert Decimal(str(_threshold_in_file(theo_server))) == after
    text = theo_server.config.read_text()
    assert "# Theo example configuration (TOML)" in text  # the file keeps its comments

    with theo_server.api("viewer") as api:
        audit = api.get("/audit", params={"action": "strategy.update", "actor": trader.username}).json()
    assert audit["total"] == 1
    entry = audit["items"][0]
    assert str(before) in str(entry["before"])
    assert str(after) in str(entry["after"])
    go(page, "audit")
    row = page.get_by_test_id("audit-table").get_by_test_id(f"row-{entry['id']}")
    expect(row).to_contain_text("strategy.update")
    expect(row).to_contain_text(trader.username)
    expect(row).to_contain_text(f"threshold: {before}")
    expect(row).to_contain_text(f"threshold: {after}")
    shot(page, "audit")

    go(page, "strategy")
    threshold = _input(page, "threshold")
    expect(threshold).to_have_value(str(after))
    threshold.fill("1.5")  # a correlation is at most 1
    page.get_by_test_id("strategy-save").click()
    errors = page.get_by_test_id("form-error")
    expect(errors.first).to_be_visible()
    # The error sits under the threshold field (or names it) and gives the limit.
    said = [(e.get_attribute("data-field") or "", e.inner_text()) for e in errors.all()]
    assert any(field.endswith("threshold") or "threshold" in text for field, text in said), said
    assert any("1" in text for _, text in said), said
    shot(page, "strategy-error")
    assert Decimal(str(_threshold_in_file(theo_server))) == after  # nothing written
    with theo_server.api("viewer") as api:
        assert api.get("/audit", params={"action": "strategy.update"}).json()["total"] == 1
