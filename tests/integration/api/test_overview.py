"""The overview's figures from real records: P&L, account value, equity curve, PDT, health, open work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient

from tests.integration.api.seed import running, trade, working_order
from theo.api.services.context import ServiceContext
from theo.api.services.overview import pdt_status
from theo.model.enums import Side
from theo.model.events import Execution

D = Decimal


def test_overview_adds_up_closed_and_open_trades_at_the_runs_last_prices(
        make_client: Callable[..., TestClient], api_ctx: ServiceContext) -> None:
    NOW = datetime.now(UTC).replace(microsecond=0)
    day = timedelta(days=1)
    store = api_ctx.store
    trade(store, "SPY", Side.BUY, "10", "100", NOW - 3 * day, exit_price="105", exit_ts=NOW - 2 * day)  # +49 net
    trade(store, "QQQ", Side.SELL, "5", "200", NOW - 2 * day, exit_price="210", exit_ts=NOW - timedelta(seconds=5))
    trade(store, "SPY", Side.BUY, "10", "101", NOW - timedelta(hours=1))  # open, marked at 103: +20
    working_order(store, "w-1", "IWM", "180.5", NOW)
    run_id = running(store, NOW, {"last_price": {"SPY": 103.0, "QQQ": 209.0}, "sim_now": NOW.isoformat(),
                                  "realized_pnl": "-2.00"})
    body = make_client("viewer").get("/api/v1/overview").json()
    assert body["realized_pnl"] == "-2.00"  # 49 - 51
    assert body["unrealized_pnl"] == "20.00"
    assert body["total_pnl"] == "18.00"
    assert body["account_value"] == "100018.00"
    assert body["cash"] == "98988.00"  # less 10 SPY at 103
    assert body["today_pnl"] == "-31.00"  # the QQQ loss closed today, plus the open SPY gain
    assert [p["equity"] for p in body["equity"]] == ["100000.00", "100049.00", "99998.00", "100018.00"]
    assert D(body["equity"][2]["drawdown"]) == (D("99998") / D("100049") - 1).quantize(D("0.000001"))
    assert body["equity"][1]["drawdown"] == "0.000000"
    assert body["state"]["state"] == "ACTIVE"
    assert body["pdt"] == {"day_trades_5d": 0, "limit": 3, "flagged": False, "remaining": None}  # > 25k equity
    assert D(body["buying_power"]) == (D("100018") - D("1030") * D("0.25")) * 4  # 4 x (equity - maintenance)
    assert body["run"]["id"] == run_id
    assert body["run"]["status"] == "running"
    assert body["health"]["feed"]["status"] == "ok"
    assert body["health"]["broker"] == {"status": "ok", "detail": "simulated broker (paper)"}
    [open_trade] = body["open_trades"]
    assert (open_trade["symbol"], open_trade["unrealized_pnl"], open_trade["last_price"]) == ("SPY", "20.00", "103.0")
    [order] = body["working_orders"]
    assert (order["id"], order["symbol"], order["price"], order["status"]) == ("w-1", "IWM", "180.5", "CREATED")


def test_overview_without_any_run_or_trade(make_client: Callable[..., TestClient]) -> None:
    body = make_client("viewer").get("/api/v1/overview").json()
    assert body["account_value"] == "100000.00"
    assert body["run"] is None
    assert body["health"]["broker"]["status"] == "down"
    assert body["health"]["feed"]["status"] == "down"
    assert len(body["equity"]) == 1
    assert body["open_trades"] == body["working_orders"] == []


def test_a_stale_heartbeat_shows_as_stale(make_client: Callable[..., TestClient], api_ctx: ServiceContext) -> None:
    running(api_ctx.store, datetime.now(UTC) - timedelta(minutes=5), {"last_price": {"SPY": 1.0}})
    body = make_client("viewer").get("/api/v1/overview").json()
    assert body["run"]["status"] == "stale"
    assert body["health"]["feed"]["status"] == "stale"


def _fill(n: int, side: Side, ts: datetime) -> Execution:
    return Execution(f"x{n}", f"o{n}", "SPY", side, D(10), D(100), ts)


def test_pdt_counts_round_trips_of_the_window_and_what_is_left(api_ctx: ServiceContext) -> None:
    monday = datetime(2026, 11, 30, 15, tzinfo=UTC)  # 10:00 ET
    fills = [_fill(1, Side.BUY, monday), _fill(2, Side.SELL, monday + timedelta(hours=1)),
             _fill(3, Side.BUY, monday + timedelta(days=1)), _fill(4, Side.SELL, monday + timedelta(days=1, hours=1))]
    small = pdt_status(api_ctx, fills, monday + timedelta(days=1, hours=2), D("20000"))
    assert small.model_dump() == {"day_trades_5d": 2, "limit": 3, "flagged": False, "remaining": 1}
    later = pdt_status(api_ctx, fills, monday + timedelta(days=10), D("20000"))
    assert later.day_trades_5d == 0  # both left the five-business-day window
