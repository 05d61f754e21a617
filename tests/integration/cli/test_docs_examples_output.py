"""The docs' examples as a new user runs them at 100 columns: one line per row, exchange time, cents."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from tests.integration.trading.test_cli import _setup
from theo.cli import backtest_cmd, corr_cmd, data_bars_cmd, report_cmd, risk_cmd, scan_cmd
from theo.cli.main import app
from theo.model.market import Bar
from theo.persistence.db import make_engine, upgrade
from theo.persistence.repositories.bars import BarRepository

T0 = datetime(2019, 2, 11, 14, 30, tzinfo=UTC)  # 09:30 EST


@pytest.fixture(autouse=True)
def hundred_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in (backtest_cmd, corr_cmd, data_bars_cmd, report_cmd, risk_cmd, scan_cmd):
        monkeypatch.setattr(module, "console", Console(width=100, force_terminal=False))


def invoke(*args: str) -> str:
    res = CliRunner().invoke(app, list(args), env={"COLUMNS": "100"})
    assert res.exit_code == 0, res.output
    return res.stdout


def _store(tmp_path: Path, bars: list[Bar]) -> Path:
    data = tmp_path / "var"
    data.mkdir(exist_ok=True)
    engine = make_engine(f"sqlite:///{data / 'theo.db'}")
    upgrade(engine)
    BarRepository(engine).write_bars(bars, "test")
    engine.dispose()
    config = tmp_path / "theo.toml"
    config.write_text(f'[app]\ndata_dir = "{data}"\n')
    return config


def _pair_bars(n: int = 40) -> list[Bar]:
    out = []
    for i in range(n):
        start = T0 + timedelta(minutes=15 * i)
        for sym, base, step in (("SPY", 270.0, 0.25), ("QQQ", 165.0, 0.1)):
            close = base + step * ((i * 7) % 11)
            out.append(Bar(sym, "15m", start, start + timedelta(minutes=15), close, close, close, close, 1e5, 10))
    return out


def test_corr_titles_stay_on_one_line_and_rolling_times_are_new_york(tmp_path: Path) -> None:
    config = _store(tmp_path, _pair_bars())
    text = invoke("corr", "matrix", "-c", str(config), "--symbols", "SPY,QQQ", "--timeframe", "15m",
                  "--method", "kendall", "--window", "30")
    assert text.splitlines()[0] == "kendall correlation of returns, 15m, last 30 common points"
    text = invoke("corr", "rolling", "-c", str(config), "--symbols", "SPY,QQQ", "--timeframe", "15m",
                  "--window", "30", "--tail", "2")
    assert text.splitlines()[0] == "pearson SPY/QQQ returns, window 30 (last 2 of 39)"
    assert "time (ET)" in text
    assert "+00:00" not in text
    rows = [line for line in text.splitlines() if line.startswith("│")]
    assert [r.split("│")[1].strip() for r in rows] == ["2019-02-11 19:00:00", "2019-02-11 19:15:00"]


def test_data_bars_keep_one_line_per_bar_with_prices_to_the_cent(tmp_path: Path) -> None:
    bars = [Bar("SPY", "5m", T0 + timedelta(minutes=5 * i), T0 + timedelta(minutes=5 * i + 5), 167.4, 167.41,
                167.19, 271.0, 17590.0, 23, flags=frozenset({"no_regular_prints", "stale_quote_filled"}))
            for i in range(3)]
    config = _store(tmp_path, bars)
    text = invoke("data", "bars", "-c", str(config), "--symbol", "SPY", "--timeframe", "5m",
                  "--from", "2019-02-11", "--to", "2019-02-11")
    lines = text.splitlines()
    assert max(map(len, lines)) <= 100
    rows = [line for line in lines if line.startswith("│")]
    assert len(rows) == 3  # none wrapped onto a second line
    cells = [c.strip() for c in rows[0].split("│")[1:-1]]
    assert cells[:6] == ["2019-02-11 09:30", "REGULAR", "167.40", "167.41", "167.19", "271.00"]


def test_risk_status_rows_of_operator_changes_stay_on_one_line(tmp_path: Path) -> None:
    config = _setup(tmp_path)
    invoke("risk", "halt", "-c", str(config), "--reason", "broker outage")
    invoke("risk", "kill", "--flatten", "-c", str(config))
    lines = invoke("risk", "status", "-c", str(config)).splitlines()
    assert max(map(len, lines)) <= 100
    rows = [line for line in lines if line.startswith("│")]
    assert len(rows) == 2
    assert "flatten (pending)" in rows[0]


def test_backtest_summary_prints_money_in_cents_and_sweeps_in_percent() -> None:
    console = Console(width=100, record=True, force_terminal=False)
    console.print(backtest_cmd._summary({"final_equity": 99705.88, "charges": 57.12, "expectancy": -10.5039,
                                         "total_return": -0.0029412, "sharpe": -14.07219}, Path("out")))
    text = console.export_text()
    assert re.search(r"final_equity +│ +99,705\.88 │", text)
    assert re.search(r"charges +│ +57\.12 │", text)
    assert re.search(r"expectancy +│ +-10\.50 │", text)
    assert re.search(r"total_return +│ +-0\.29 % │", text)
    assert re.search(r"sharpe +│ +-14\.072 │", text)


def test_running_trade_is_not_marked_at_a_bar_older_than_it(tmp_path: Path) -> None:
    config = _setup(tmp_path)  # its running SPY trade entered at 99 on 2019-02-12
    engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'theo.db'}")
    old = datetime(2013, 10, 7, 14, 30, tzinfo=UTC)  # imported history of the same symbol
    BarRepository(engine).write_bars([Bar("SPY", "1m", old, old + timedelta(minutes=1), 1, 1, 1, 1.0, 1, 1)], "t")
    engine.dispose()
    deals = json.loads(invoke("report", "deals", "-c", str(config), "--format", "json"))
    running = [d for d in deals if d["status"] == "Running"]
    assert len(running) == 1
    assert abs(float(running[0]["pnl"])) < 1  # unmarked, not (1 - 99) × quantity


def test_scan_signals_with_none_stored_says_so_instead_of_an_empty_table(tmp_path: Path) -> None:
    config = _store(tmp_path, [])
    assert invoke("scan", "signals", "-c", str(config), "--active") == "0 stored signals: nothing to list\n"
