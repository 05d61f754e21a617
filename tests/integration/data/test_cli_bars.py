"""`theo data bars` prints stored bars, or aggregates stored ticks when none are stored."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import shared_file
from theo.cli.main import app
from theo.model.enums import SessionKind
from theo.model.market import Bar


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    for name in list(os.environ):
        if name.startswith("THEO_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def test_bars_aggregates_stored_ticks_then_reads_stored_bars(runner: CliRunner, tmp_path: Path) -> None:
    ticks = shared_file("lean/IBM_trades_tick_2013-10-07_2013-10-11.csv.gz")
    imported = runner.invoke(app, ["data", "import", str(ticks), "--symbol", "IBM"], catch_exceptions=False)
    assert imported.exit_code == 0, imported.output
    args = ["data", "bars", "--symbol", "ibm", "--timeframe", "30m", "--from", "2013-10-08", "--to", "2013-10-08"]
    res = runner.invoke(app, [*args, "--format", "csv"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "aggregating the stored ticks" in res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    regular = [r for r in rows if r["session"] == "REGULAR"]
    assert len(regular) == 13  # 09:30 ... 15:30 in 30-minute steps
    assert regular[0]["start"] == "2013-10-08T13:30:00+00:00"
    assert all(float(r["low"]) <= float(r["open"]) <= float(r["high"]) for r in rows)

    out = tmp_path / "bars.json"
    res = runner.invoke(app, [*args, "--format", "json", "--out", str(out)], catch_exceptions=False)
    assert res.exit_code == 0
    assert out.is_file()
    assert json.loads(out.read_text()) == [
        {**r, **{k: float(r[k]) for k in ("open", "high", "low", "close", "volume")},
         "tick_count": int(r["tick_count"])} for r in rows]

    table = runner.invoke(app, args, catch_exceptions=False)
    assert table.exit_code == 0
    assert "IBM 30m bars" in table.stdout

    # once bars of that timeframe are stored, they are read as they are
    from theo.cli.common import get_config, open_store
    from theo.persistence.writer import write_bars

    engine = open_store(get_config(None))
    write_bars(engine, aggregate_rows(rows), "recorder")
    engine.dispose()
    again = runner.invoke(app, [*args, "--format", "csv"], catch_exceptions=False)
    assert again.exit_code == 0
    assert "aggregating" not in again.stderr
    assert next(iter(csv.DictReader(io.StringIO(again.stdout))))["close"] == rows[0]["close"]


def aggregate_rows(rows: list[dict[str, str]]) -> list[Bar]:
    """The CSV rows back as bars (what a recorder would have stored)."""
    return [Bar("IBM", "30m", datetime.fromisoformat(r["start"]), datetime.fromisoformat(r["end"]),
                float(r["open"]), float(r["high"]), float(r["low"]), float(r["close"]), float(r["volume"]),
                int(r["tick_count"]), SessionKind(r["session"]), "recorder") for r in rows]


def test_bad_options_get_a_clear_message_not_a_traceback(runner: CliRunner) -> None:
    res = runner.invoke(app, ["data", "bars", "--symbol", "SPY", "--timeframe", "7x", "--from", "2013-10-08",
                              "--to", "2013-10-08"])
    assert res.exit_code == 2
    assert "timeframe" in res.stderr
    res = runner.invoke(app, ["data", "bars", "--symbol", "SPY", "--from", "2013-10-08T09:30", "--to", "2013-10-09"])
    assert res.exit_code == 2
    assert "no UTC offset" in res.stderr
    res = runner.invoke(app, ["data", "bars", "--symbol", "SPY", "--from", "2013-10-08", "--to", "2013-10-08"])
    assert res.exit_code == 1
    assert "no bars and no ticks" in res.stderr
