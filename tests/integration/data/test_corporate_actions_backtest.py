"""Backtests read adjusted series by default and say so; unadjusted mode is still there and trades the split
as a crash (the QQQ 2:1 split of 2000-03-20 looks like a Donchian breakdown on raw prices)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.integration.data.test_corporate_actions import QQQ, _raw_copy
from theo.cli.main import app

STRATEGY = ('[market]\ncapital = 100000\n[[strategies]]\ntype = "donchian_breakout"\nname = "dc"\n'
            'symbols = ["QQQ"]\ntimeframe = "1d"\nentry_period = 20\nexit_period = 10\nquantity = 100\n')


def _store_with_the_split(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A temporary store holding QQQ's 2:1 split of 2000-03-20 (imported from a CSV); the CLI's environment."""
    for name in list(os.environ):
        if name.startswith("THEO_"):
            monkeypatch.delenv(name)
    env = {"THEO__DATABASE__URL": f"sqlite:///{tmp_path / 'theo.db'}"}
    (tmp_path / "a.csv").write_text("symbol,kind,ex_date,ratio\nQQQ,split,2000-03-20,2:1\n", encoding="utf-8")
    assert CliRunner().invoke(app, ["data", "actions", "import", str(tmp_path / "a.csv")], env=env).exit_code == 0
    return env


@pytest.mark.parametrize("mode", ["splits", "none"])
def test_a_backtest_names_its_adjustment_and_raw_prices_short_the_split(tmp_path: Path, mode: str,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    env = _store_with_the_split(tmp_path, monkeypatch)
    cfg = tmp_path / "bt.toml"
    cfg.write_text(STRATEGY + f'[marketdata]\nadjust = "{mode}"\n', encoding="utf-8")
    runner = CliRunner()
    out = tmp_path / "out"
    r = runner.invoke(app, ["backtest", "-c", str(cfg), "-d", str(_raw_copy(QQQ, tmp_path)), "--from",
                            "2000-01-03", "--to", "2000-05-31", "-o", str(out)], env=env, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    said = " ".join(r.output.split())
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["adjustment"] == mode
    signals = pd.read_csv(out / "signals.csv")
    split_day = signals[signals.ts.str.startswith("2000-03-21") & (signals.exit == 0)]
    if mode == "splits":
        assert "note: prices: QQQ: adjusted for splits: split 2000-03-20 (2:1, factor 0.5, csv)" in said
        assert split_day.empty
        assert signals.price.max() < 120  # every price on the post-split basis
    else:
        assert "note: prices: QQQ: unadjusted (raw prices)" in said
        assert split_day.side.tolist() == ["SELL"]  # the halving read as a breakdown
        assert signals.price.max() > 200


def test_the_scanner_reads_adjusted_bars_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = _store_with_the_split(tmp_path, monkeypatch)
    cfg = tmp_path / "scan.toml"
    cfg.write_text(STRATEGY, encoding="utf-8")
    runner = CliRunner()
    r = runner.invoke(app, ["scan", "-c", str(cfg), "--data", f"QQQ={_raw_copy(QQQ, tmp_path)}", "--from",
                            "2000-01-03", "--to", "2000-05-31", "--no-store", "--format", "csv"], env=env,
                      catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "prices: QQQ: adjusted for splits: split 2000-03-20 (2:1, factor 0.5, csv)" in " ".join(r.output.split())
    rows = [line.split(",") for line in r.output.splitlines() if line.startswith("2000-")]
    assert len(rows) >= 10
    assert all(float(row[6]) < 120 for row in rows)  # entry prices on the post-split basis
    assert not [row for row in rows if row[0].startswith("2000-03-21")]  # raw prices break down that day
