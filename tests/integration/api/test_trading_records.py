"""Trades, deals and orders read through the API services from records the real trade manager wrote."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tests.integration.api.records import VIEWER, Records, trading_records
from theo.api.services import deals, orders, trades
from theo.api.services.errors import Invalid, NotFound
from theo.cli import report_cmd


@pytest.fixture
def records(tmp_path: Path) -> Records:
    return trading_records(tmp_path)


def _report_csv(config: Path, *args: str) -> str:
    app = typer.Typer()
    report_cmd.register(app)
    res = CliRunner().invoke(app, ["report", "deals", "-c", str(config), "--format", "csv", *args])
    assert res.exit_code == 0, res.output
    return res.output


def test_a_closed_trade_appears_with_its_net_pnl_and_orders(records: Records) -> None:
    page = trades.list_trades(records.ctx, VIEWER, status="closed", strategy="s2")
    assert page.total == 1
    t = page.items[0]
    assert (t.symbol, t.side, t.quantity, t.entry_price, t.exit_price) == ("SPY", "SELL", 1000, 100, 98)
    assert t.gross_pnl == Decimal("2000")
    assert t.charges == Decimal("10.33")
    assert t.pnl == Decimal("1989.67")
    assert t.pnl_pct == Decimal("1.99")
    assert t.exit_reason == "profit_target"
    assert t.status == "Closed"
    detail = trades.get_trade(records.ctx, VIEWER, t.id)
    assert [o.tag for o in detail.orders] == ["entry", "stop_loss", "take_profit"]
    assert {o.trade_id for o in detail.orders} == {t.id}
    assert [(f.side, f.quantity, f.price) for f in detail.fills] == [("SELL", 1000, 100), ("BUY", 1000, 98)]
    assert sum(f.charges for f in detail.fills) == Decimal("10.33")


def test_trade_filters_pages_and_errors(records: Records) -> None:
    ctx = records.ctx
    everything = trades.list_trades(ctx, VIEWER)
    assert everything.total == 3
    assert [t.id for t in everything.items] == [3, 2, 1]
    assert [t.id for t in trades.list_trades(ctx, VIEWER, order="asc", limit=2).items] == [1, 2]
    assert [t.id for t in trades.list_trades(ctx, VIEWER, limit=1, offset=1).items] == [2]
    assert [t.id for t in trades.list_trades(ctx, VIEWER, status="open").items] == [3]
    assert trades.list_trades(ctx, VIEWER, symbol="spy").total == 3
    assert trades.list_trades(ctx, VIEWER, symbol="QQQ").total == 0
    assert [t.id for t in trades.list_trades(ctx, VIEWER, start="2019-02-12").items] == [3]
    assert [t.id for t in trades.list_trades(ctx, VIEWER, end="2019-02-11").items] == [2, 1]
    assert trades.list_trades(ctx, VIEWER, start="2019-02-11T14:30:01Z", end="2019-02-11T14:30:02Z").total == 2
    with pytest.raises(Invalid) as bad:
        trades.list_trades(ctx, VIEWER, status="shut")
    assert bad.value.field == "status"
    assert "'shut'" in str(bad.value)
    with pytest.raises(Invalid) as bad:
        trades.list_trades(ctx, VIEWER, start="yesterday")
    assert bad.value.field == "from"
    with pytest.raises(Invalid) as bad:
        trades.list_trades(ctx, VIEWER, limit=5000)
    assert bad.value.field == "limit"
    with pytest.raises(NotFound):
        trades.get_trade(ctx, VIEWER, 99)


def test_deals_pages_equal_the_report_and_the_csv_is_the_reports(records: Records) -> None:
    ctx = records.ctx
    page = deals.list_deals(ctx, VIEWER)
    report = _report_csv(records.config_path)
    header = report.splitlines()[0].split(",")
    assert [c.key for c in page.columns] == header
    assert page.total == 3
    assert [",".join(row[k] for k in header) for row in page.items] == report.splitlines()[1:]
    assert "".join(deals.deals_csv(ctx, VIEWER)) == report
    s = page.summary
    assert (s.count, s.open, s.closed, s.wins, s.losses) == (3, 1, 2, 1, 1)
    assert (s.pnl, s.charges, s.net_pnl, s.win_rate) == (Decimal("0.00"), Decimal("25.74"), Decimal("-25.74"),
                                                          Decimal("50.00"))
    filtered = "".join(deals.deals_csv(ctx, VIEWER, strategy="s2", start="2019-02-11", end="2019-02-11"))
    assert filtered == _report_csv(records.config_path, "--strategy", "s2", "--from", "2019-02-11", "--to",
                                   "2019-02-11")
    shorts = deals.list_deals(ctx, VIEWER, side="short")
    assert [r["trade_id"] for r in shorts.items] == ["2"]
    assert shorts.summary.net_pnl == Decimal("1989.67")
    second = deals.list_deals(ctx, VIEWER, limit=1, offset=1)
    assert [r["trade_id"] for r in second.items] == ["2"]
    assert second.total == 3
    empty = deals.list_deals(ctx, VIEWER, symbol="QQQ")
    assert empty.total == 0
    assert empty.summary.win_rate is None
    assert "".join(deals.deals_csv(ctx, VIEWER, symbol="QQQ")) == _report_csv(records.config_path, "--from",
                                                                               "2030-01-01")
    with pytest.raises(Invalid) as bad:
        deals.list_deals(ctx, VIEWER, side="up")
    assert bad.value.field == "side"


def test_orders_link_their_trade_and_list_events_and_fills(records: Records) -> None:
    ctx = records.ctx
    page = orders.list_orders(ctx, VIEWER)
    assert page.total == 9
    assert {o.trade_id for o in page.items} == {1, 2, 3}
    working = orders.list_orders(ctx, VIEWER, status="open")
    assert sorted(o.tag for o in working.items) == ["stop_loss", "take_profit"]
    assert {o.trade_id for o in working.items} == {3}
    assert orders.list_orders(ctx, VIEWER, status="filled").total == 5
    tp = orders.get_order(ctx, VIEWER, "s2-20190211-0001-tp")
    assert (tp.status, tp.filled, tp.avg_price, tp.trade_id) == ("FILLED", 1000, 98, 2)
    assert [e.status for e in tp.events][-1] == "FILLED"
    assert "fill 1000 @ 98" in tp.events[-1].detail
    assert [(f.quantity, f.price) for f in tp.fills] == [(1000, 98)]
    sl = orders.get_order(ctx, VIEWER, "s2-20190211-0001-sl")
    assert sl.status == "CANCELLED"
    assert sl.reason == "OCO: s2-20190211-0001-tp filled"
    with pytest.raises(NotFound):
        orders.get_order(ctx, VIEWER, "nope")
    with pytest.raises(Invalid) as bad:
        orders.list_orders(ctx, VIEWER, status="gone")
    assert bad.value.field == "status"
