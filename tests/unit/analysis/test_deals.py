"""The deals report: every plan §7 column, fixed formats, running trades marked, three output formats."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from theo.analysis.deals import COLUMNS, build_deals, render_deals
from theo.model.enums import Side
from theo.model.events import Charges, Execution
from theo.model.trades import ExitReason, Trade

D = Decimal
T0 = datetime(2019, 2, 11, 15, 0, tzinfo=UTC)


def trades() -> list[Trade]:
    a = Trade("corr", "SPY", Side.BUY, D(100), "corr-1", ss_type="correlation", id=1)
    a.add_entry_fill(D(100), D("270.00"), D("1.01"), T0)
    a.add_exit_fill(D(100), D("271.50"), D("1.03"), T0 + timedelta(minutes=5))
    a.close(ExitReason.PROFIT_TARGET, T0 + timedelta(minutes=5))
    b = Trade("corr", "QQQ", Side.SELL, D(50), "corr-2", ss_type="correlation", id=2)
    b.add_entry_fill(D(50), D("170.00"), D("1.00"), T0 + timedelta(minutes=1))
    c = Trade("corr", "IWM", Side.BUY, D(10), "corr-3", id=3)  # waiting: not a deal yet
    return [b, a, c]


def test_columns_values_and_order() -> None:
    deals = build_deals(trades(), {"QQQ": D("169.00")})
    assert [d.symbol for d in deals] == ["SPY", "QQQ"]
    rows = list(csv.DictReader(io.StringIO(render_deals(deals, "csv"))))
    assert list(rows[0]) == list(COLUMNS)
    assert rows[0] == {"trade_id": "1", "strategy": "corr", "ss_type": "correlation", "ss_signal_type": "Long",
                       "symbol": "SPY", "entry_qty": "100", "exit_qty": "100", "entry_price": "270.00",
                       "exit_price": "271.50", "pnl": "150.00", "charges": "2.04", "net_pnl": "147.96",
                       "net_pnl_pct": "0.55", "entry_date": "2019-02-11T10:00:00-05:00",
                       "exit_date": "2019-02-11T10:05:00-05:00", "status": "Completed", "comment": "Profit target"}
    assert (rows[1]["status"], rows[1]["pnl"], rows[1]["net_pnl"], rows[1]["exit_qty"]) == \
        ("Running", "50.00", "49.00", "0")


def test_charge_breakdown_from_fills() -> None:
    ex = Execution("X1", "corr-1", "SPY", Side.BUY, D(100), D(270), T0,
                   Charges(commission=D("1.00"), cat_fee=D("0.01"), schedule_version="v1"))
    deals = build_deals(trades()[1:2], fills={"corr-1": [ex]})
    row = json.loads(render_deals(deals, "json"))[0]
    assert (row["commission"], row["cat_fee"], row["total_charges"], row["charges_source"],
            row["fee_schedule_version"]) == ("1.00", "0.01", "1.01", "model", "v1")


def test_html_is_escaped_and_unknown_format_refused() -> None:
    t = trades()[1]
    t.comments.append("<script>")
    page = render_deals(build_deals([t]), "html")
    assert "&lt;script&gt;" in page
    assert "<script>" not in page
    assert "net P&amp;L 147.96 USD" in page
    with pytest.raises(ValueError, match="csv, json or html"):
        render_deals([], "xml")  # type: ignore[arg-type]


def test_html_fits_a_1366_pixel_screen() -> None:
    ex = Execution("X1", "corr-1", "SPY", Side.BUY, D(100), D(270), T0, Charges(commission=D("1.00")))
    page = render_deals(build_deals(trades(), fills={"corr-1": [ex]}), "html")
    widths = [int(w) for w in re.findall(r"max-width:(\d+)px", page)]
    assert widths
    assert max(widths) <= 1366
    assert "table{border-collapse:collapse;width:100%" in page
    assert ".wrap{max-width:100%;overflow-x:auto}" in page  # a narrower window scrolls the table, not the page
    assert '<td class="comment">Profit target</td>' in page  # the long column wraps
    assert "<th>net pnl pct</th>" in page
