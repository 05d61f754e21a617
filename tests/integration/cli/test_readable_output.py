"""What a trader reads at 100 columns: short unique ids, prices to the cent, exchange time with its zone."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from tests.integration.trading.test_cli import _setup
from theo.cli import orders_cmd, report_cmd, risk_cmd, run_cmd, scan_cmd
from theo.cli.main import app
from theo.model.enums import Side
from theo.persistence.db import make_engine
from theo.persistence.signals import SignalStore
from theo.strategy.scanner.records import SignalRecord

ET_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d E[SD]T")


@pytest.fixture(autouse=True)
def hundred_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (orders_cmd, report_cmd, risk_cmd, run_cmd, scan_cmd):
        monkeypatch.setattr(module, "console", Console(width=100, force_terminal=False))


def invoke(*args: str) -> str:
    res = CliRunner().invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res.stdout


def test_help_shows_flags_without_a_value_type() -> None:
    text = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "100"}).stdout
    assert "--version" in text
    assert "<bool>" not in text
    assert "<bool>" not in CliRunner().invoke(app, ["orders", "--help"], env={"COLUMNS": "100"}).stdout


def test_orders_fit_100_columns_with_short_unique_ids_and_full_ids_in_json(tmp_path: Path) -> None:
    config = _setup(tmp_path)
    text = invoke("orders", "-c", str(config))
    lines = text.splitlines()
    assert max(map(len, lines)) <= 100
    rows = [line for line in lines if line.startswith("│")]
    records = json.loads(invoke("orders", "-c", str(config), "--format", "json"))
    assert len(rows) == len(records) > 3  # one line per order, none wrapped
    full = [r["client_order_id"] for r in records]
    shown = [row.split("│")[1].strip() for row in rows]
    assert shown == full  # short ids stay whole; long hashes are cut (tests/unit/cli/test_tables.py)
    assert re.search(r"\b100\.00\b", text)  # the entry's fill price, to the cent
    csv_head = invoke("orders", "-c", str(config), "--format", "csv").splitlines()[0]
    assert csv_head.startswith("client_order_id,created_at,symbol,side,quantity")
    wide = invoke("orders", "-c", str(config), "--wide")
    assert all(f in wide for f in full)
    assert ET_TIME.search(wide)


def test_report_deals_prints_a_table_on_request_and_csv_to_a_pipe(tmp_path: Path) -> None:
    config = _setup(tmp_path)
    assert invoke("report", "deals", "-c", str(config)).startswith("trade_id,strategy,")  # not a terminal
    text = invoke("report", "deals", "-c", str(config), "--format", "table")
    assert max(map(len, text.splitlines())) <= 100
    rows = [line for line in text.splitlines() if line.startswith("│")]
    assert len(rows) == 3
    assert [c.strip() for c in rows[0].split("│")[1:-1]][:8] == ["1", "SPY", "Long", "1000", "100.00", "98.00",
                                                                  "-2,010.33", "Completed"]
    assert ET_TIME.search(invoke("report", "deals", "-c", str(config), "--format", "table", "--wide"))


def test_risk_status_puts_operator_and_engine_times_in_separate_columns(tmp_path: Path) -> None:
    config = _setup(tmp_path)
    invoke("risk", "halt", "-c", str(config), "--reason", "lunch")
    text = invoke("risk", "status", "-c", str(config))
    assert "wall clock (ET)" in text
    assert "engine clock (ET)" not in text  # no engine change listed: its empty column leaves the width to others
    row = next(line for line in text.splitlines() if "lunch" in line)
    cells = [c.strip() for c in row.split("│")]
    assert ET_TIME.fullmatch(cells[1])
    assert cells[2] == "ACTIVE"


def test_scan_signals_json_has_the_stored_exchange_and_order_type(tmp_path: Path) -> None:
    config = _setup(tmp_path)
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'theo.db'}")
    ts = datetime(2019, 2, 11, 15, 0, tzinfo=UTC)
    SignalStore(engine, "default").add(SignalRecord("s1", "SPY", Side.BUY, ts, ts, "5m", 1,
                                                    entry_price=Decimal("271.6"), mode="virtual"))
    engine.dispose()
    rows = json.loads(invoke("scan", "signals", "-c", str(config), "--format", "json"))
    assert [(r["exchange"], r["order_type"], r["product_type"]) for r in rows] == [("SMART", "MARKET", "MARGIN")]
    table = invoke("scan", "signals", "-c", str(config))
    assert "2019-02-11 10:00:00 EST" in table
    assert "271.60" in table
