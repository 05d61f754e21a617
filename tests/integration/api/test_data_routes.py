"""The trades, deals, orders, signals, charts, symbols and correlation routes through the real app and login."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from tests.integration.api.records import Records, trading_records
from tests.unit.execution.helpers import T0
from theo.cli import report_cmd
from theo.model.enums import SessionKind
from theo.model.market import Bar
from theo.persistence.repositories.bars import BarRepository

API = "/api/v1"


@pytest.fixture
def records(tmp_path: Path) -> Records:
    rec = trading_records(tmp_path)
    rng = np.random.default_rng(7)
    bars = []
    for sym, base in (("SPY", 100.0), ("QQQ", 160.0)):
        closes = base + np.cumsum(rng.normal(0, 0.05, 120))
        for i, c in enumerate(closes.tolist()):
            start = T0 + timedelta(minutes=i)
            o = closes[i - 1] if i else base
            bars.append(Bar(sym, "1m", start, start + timedelta(minutes=1), o, max(o, c) + 0.01, min(o, c) - 0.01,
                            c, 1000.0 + i, 10, SessionKind.REGULAR, "test", frozenset()))
    BarRepository(rec.engine).write_bars(bars, "test")
    return rec


@pytest.fixture
def api_store(records: Records) -> Engine:
    return records.engine


@pytest.fixture
def viewer(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client("viewer")


def test_reads_need_a_session(anon_client: TestClient) -> None:
    for path in ("/trades", "/deals", "/deals.csv", "/orders", "/signals", "/symbols", "/charts/bars?symbol=SPY",
                 "/correlation/matrix?symbols=SPY,QQQ"):
        assert anon_client.get(API + path).status_code == 401, path


def test_trades_and_a_trade_with_its_orders_fills_and_links(viewer: TestClient) -> None:
    page = viewer.get(f"{API}/trades", params={"status": "closed", "strategy": "s2"})
    assert page.status_code == 200
    body = page.json()
    assert body["total"] == 1
    item = body["items"][0]
    assert (item["side"], item["quantity"], item["entry_price"], item["exit_price"]) == ("SELL", "1000", "100", "98")
    assert (item["pnl"], item["pnl_pct"], item["exit_reason"]) == ("1989.67", "1.99", "profit_target")
    assert item["entry_ts"] == "2019-02-11T14:30:01Z"
    detail = viewer.get(f"{API}/trades/{item['id']}").json()
    assert [o["tag"] for o in detail["orders"]] == ["entry", "stop_loss", "take_profit"]
    assert [f["price"] for f in detail["fills"]] == ["100", "98"]
    assert detail["signal"] is None
    assert viewer.get(f"{API}/trades", params={"limit": 2, "offset": 1}).json()["total"] == 3
    bad = viewer.get(f"{API}/trades", params={"status": "shut"})
    assert bad.status_code == 422
    assert bad.json()["field"] == "status"
    assert "'shut'" in bad.json()["detail"]
    assert viewer.get(f"{API}/trades", params={"from": "01/02/2019"}).json()["field"] == "from"
    assert viewer.get(f"{API}/trades/99").status_code == 404


def test_deals_page_and_csv_download(viewer: TestClient, records: Records) -> None:
    app = typer.Typer()
    report_cmd.register(app)
    report = CliRunner().invoke(app, ["report", "deals", "-c", str(records.config_path), "--format", "csv"]).output
    page = viewer.get(f"{API}/deals").json()
    assert [c["key"] for c in page["columns"]] == report.splitlines()[0].split(",")
    assert page["columns"][11] == {"key": "net_pnl", "label": "Net P&L"}
    assert page["summary"]["net_pnl"] == "-25.74"
    assert [r["net_pnl"] for r in page["items"]] == ["-2010.33", "1989.67", "-5.08"]
    csv = viewer.get(f"{API}/deals.csv")
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert "deals.csv" in csv.headers["content-disposition"]
    assert csv.text == report
    one = viewer.get(f"{API}/deals.csv", params={"side": "long", "from": "2019-02-12"}).text.splitlines()
    assert len(one) == 2
    assert one[1].startswith("3,s1,")
    assert viewer.get(f"{API}/deals", params={"side": "sideways"}).json()["field"] == "side"


def test_orders_and_an_order_with_events(viewer: TestClient) -> None:
    page = viewer.get(f"{API}/orders", params={"status": "open"}).json()
    assert page["total"] == 2
    assert {o["trade_id"] for o in page["items"]} == {3}
    order = viewer.get(f"{API}/orders/s1-20190211-0001-sl").json()
    assert (order["status"], order["filled"], order["avg_price"], order["trade_id"]) == ("FILLED", "1000", "98", 1)
    assert order["events"][0]["status"] == "CREATED"
    assert viewer.get(f"{API}/orders/nothing").status_code == 404
    assert viewer.get(f"{API}/signals").json() == {"items": [], "total": 0}
    assert viewer.get(f"{API}/signals", params={"status": "maybe"}).status_code == 422


def test_symbols_charts_and_correlation(viewer: TestClient) -> None:
    symbols = viewer.get(f"{API}/symbols").json()["items"]
    assert [s["symbol"] for s in symbols] == ["QQQ", "SPY"]
    assert symbols[1]["timeframes"] == ["1m", "5m", "15m", "30m", "60m"]
    assert symbols[1]["first"] == "2019-02-11T14:30:00Z"
    chart = viewer.get(f"{API}/charts/bars", params={"symbol": "SPY", "timeframe": "15m"}).json()
    assert [b["t"] for b in chart["bars"]][:2] == [int(T0.timestamp()), int(T0.timestamp()) + 900]
    assert len(chart["bars"]) == 8
    kinds = sorted((m["kind"], m["trade_id"]) for m in chart["markers"])
    assert kinds == [("entry", 1), ("entry", 2), ("exit", 1), ("exit", 2), ("stop", 1), ("stop", 2),
                     ("target", 1), ("target", 2)]
    assert all(m["t"] == int(T0.timestamp()) for m in chart["markers"])
    assert viewer.get(f"{API}/charts/bars", params={"symbol": "SPY", "timeframe": "4m"}).json()["field"] == \
        "timeframe"
    assert viewer.get(f"{API}/charts/bars").status_code == 422  # symbol is required
    heat = viewer.get(f"{API}/correlation/matrix", params={"symbols": "SPY,QQQ", "timeframe": "1m",
                                                           "window": 60}).json()
    assert heat["values"][0][0] == 1.0
    assert heat["points"] == [[60, 60], [60, 60]]
    assert heat["as_of"] == "2019-02-11T16:29:00Z"
    rolling = viewer.get(f"{API}/correlation/rolling", params={"a": "SPY", "b": "QQQ", "timeframe": "5m",
                                                               "window": 10}).json()
    assert len(rolling["points"]) == 23
    # 24 five-minute bars give 23 returns; a value needs min(30, window) = 10 of them
    assert [p["value"] is None for p in rolling["points"]] == [True] * 9 + [False] * 14
    assert rolling["points"][0]["t"] == int(T0.timestamp()) + 300
