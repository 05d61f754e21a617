"""The correlation heatmap: hover a cell, read the correlation and how many points it rests on."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Server
from tests.browser.helpers import go, numbers, stored_bars, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]


def _cell(matrix: dict[str, Any], a: str, b: str) -> tuple[float, int]:
    i, j = matrix["symbols"].index(a), matrix["symbols"].index(b)
    return matrix["values"][i][j], matrix["points"][i][j]


def _tooltip_shows(page: Any, value: float, points: int) -> None:
    tooltip = page.get_by_test_id("heatmap-tooltip")
    expect(tooltip).to_be_visible()
    shown = numbers(tooltip.inner_text())
    assert Decimal(points) in shown, (tooltip.inner_text(), points)
    assert any(abs(n - Decimal(str(value))) <= Decimal("0.005") for n in shown), (tooltip.inner_text(), value)


def test_hovering_a_heatmap_cell_shows_the_correlation_and_its_number_of_points(
        page: Any, login: Any, shot: Any, theo_server: Server) -> None:
    for symbol in ("SPY", "QQQ"):
        wait_for(f"25 bars of {symbol}", lambda s=symbol: stored_bars(theo_server, s, "1m") >= 25, timeout=60)
    login(page, "viewer")
    go(page, "correlation")
    # The synthetic market has traded for about an hour of simulated time: 1-minute bars, a 20-bar window.
    page.get_by_test_id("corr-timeframe").select_option("1m")
    with page.expect_response(lambda r: "/api/v1/correlation/matrix" in r.url and "window=20" in r.url
                              and "timeframe=1m" in r.url and r.ok) as first:
        page.get_by_test_id("corr-window").select_option("20")
    matrix = first.value.json()
    assert (matrix["window"], matrix["timeframe"], matrix["method"]) == (20, "1m", "pearson")
    expect(page.get_by_test_id("heatmap")).to_be_visible()
    value, points = _cell(matrix, "SPY", "QQQ")
    assert value is not None, str(matrix)
    assert points >= 20
    assert 0.3 < value <= 1.0  # the synthetic pair is built with a correlation of 0.85
    assert _cell(matrix, "SPY", "SPY")[0] == pytest.approx(1.0)
    page.get_by_test_id("heatmap-cell-SPY-QQQ").hover()
    _tooltip_shows(page, value, points)
    shot(page, "heatmap")

    with page.expect_response(lambda r: "/api/v1/correlation/matrix" in r.url and "spearman" in r.url
                              and r.ok) as second:
        page.get_by_test_id("corr-method").select_option("spearman")
    ranked = second.value.json()
    assert ranked["method"] == "spearman"
    value, points = _cell(ranked, "QQQ", "SPY")
    page.get_by_test_id("heatmap-cell-QQQ-SPY").hover()
    _tooltip_shows(page, value, points)
    shot(page, "heatmap-spearman")
