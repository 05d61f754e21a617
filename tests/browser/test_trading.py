"""Watching the synthetic market trade: a trade opens, the tables and the price chart show it."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Server
from tests.browser.helpers import go, numbers, stored_bars, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]


def _first_trade(server: Server) -> dict[str, Any] | None:
    with server.api("viewer") as api:
        items = api.get("/trades", params={"limit": 1000}).json()["items"]
    filled = [t for t in items if t["status"] in ("Running", "Closed")]  # not an entry still "Waiting"
    return min(filled, key=lambda t: t["entry_ts"]) if filled else None


def test_a_trade_opens_on_the_synthetic_market_and_shows_in_the_overview_and_the_trades_table(
        page: Any, login: Any, shot: Any, theo_server: Server) -> None:
    login(page, "viewer")
    trade = wait_for("a trade on the synthetic market", lambda: _first_trade(theo_server), timeout=90)
    count = page.get_by_test_id("open-trades-count")
    expect(count).to_be_visible()

    def agrees() -> bool:
        with theo_server.api("viewer") as api:
            open_now = api.get("/trades", params={"status": "open"}).json()["total"]
        return numbers(count.inner_text()) == [open_now]

    # The page follows the WebSocket: its count is the API's, at most a moment later.
    wait_for("the overview's open-trades count to agree with the API", agrees, timeout=15)
    shot(page, "overview")
    go(page, "trades")
    if trade["status"] == "Closed":  # the page opens on the running trades
        page.get_by_test_id("tab-closed").click()
    row = page.get_by_test_id("trades-table").get_by_test_id(f"row-{trade['id']}")
    expect(row).to_be_visible()
    expect(row).to_contain_text(trade["symbol"])
    expect(row).to_contain_text(trade["side"], ignore_case=True)
    shown = numbers(row.inner_text())
    assert Decimal(trade["entry_price"]).quantize(Decimal("0.01")) in shown, (row.inner_text(), trade)
    shot(page, "trades")


def _distinct_colours(png: bytes) -> int:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    return len(image.getcolors(maxcolors=1 << 24) or [])


def test_the_price_chart_draws_the_candles_of_the_stored_bars_and_switches_timeframe(
        page: Any, login: Any, shot: Any, theo_server: Server) -> None:
    login(page, "viewer")
    wait_for("the first bars", lambda: stored_bars(theo_server, "SPY", "1m") >= 10, timeout=60)
    with page.expect_response(lambda r: "/api/v1/charts/bars" in r.url and r.ok) as first:
        go(page, "charts")
    bars = first.value.json()
    assert bars["timeframe"] in {"1m", "5m", "15m", "30m", "60m"}
    assert len(bars["bars"]) >= 2  # ten minutes or more of the session, whatever the default timeframe
    for bar in bars["bars"]:
        assert Decimal(bar["low"]) <= min(Decimal(bar["open"]), Decimal(bar["close"]))
        assert max(Decimal(bar["open"]), Decimal(bar["close"])) <= Decimal(bar["high"])
    chart = page.get_by_test_id("price-chart")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None
    assert box["width"] > 600
    assert box["height"] > 250
    # Candles are drawn on a canvas: an empty chart has its background and a grid, drawn candles add colours.
    assert _distinct_colours(chart.screenshot()) > 20
    shot(page, f"chart-{bars['symbol']}-{bars['timeframe']}")
    other = "1m" if bars["timeframe"] != "1m" else "5m"
    with page.expect_response(lambda r: "/api/v1/charts/bars" in r.url and f"timeframe={other}" in r.url
                              and r.ok) as switched:
        page.get_by_test_id(f"timeframe-{other}").click()
    again = switched.value.json()
    assert again["timeframe"] == other
    assert again["symbol"] == bars["symbol"]
    fine, coarse = (again, bars) if other == "1m" else (bars, again)
    assert len(fine["bars"]) > len(coarse["bars"]) > 0
    assert all(int(b["t"]) % 300 == 0 for b in coarse["bars"])  # 5-minute bars start on the 5 minutes
    assert _distinct_colours(chart.screenshot()) > 20
    shot(page, f"chart-{bars['symbol']}-{other}")

