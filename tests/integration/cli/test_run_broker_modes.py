"""`theo run` refuses a broker and mode that disagree before anything is created; backtests run either way."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.cli.conftest import Invoke

STRATEGY = """
[[strategies]]
type = "donchian_breakout"
name = "d"
symbols = ["SPY"]
timeframe = "1m"
quantity = 10
"""


@pytest.mark.parametrize(("setting", "args", "named"), [
    ('[app]\nmode = "live"\ndata_dir = "var"\n', (), "live trading goes through Interactive Brokers"),
    ('[app]\ndata_dir = "var"\n', ("--live",), "live trading goes through Interactive Brokers"),
    ('[app]\nmode = "live"\ndata_dir = "var"\n', ("--broker", "ibkr"), "--live"),
    ('[app]\ndata_dir = "var"\n', ("--broker", "nyse"), "unknown broker"),
])
def test_a_run_whose_broker_and_mode_disagree_is_refused_before_anything_runs(
        theo: Invoke, tmp_path: Path, setting: str, args: tuple[str, ...], named: str) -> None:
    cfg = tmp_path / "theo.toml"
    cfg.write_text(setting + STRATEGY, encoding="utf-8")
    r = theo("run", "--config", str(cfg), "--duration", "5", *args)
    assert r.exit_code == 2
    assert named in r.output
    assert "Traceback" not in r.output
    assert not (tmp_path / "var").exists()  # refused before the store is created: nothing traded anything


def test_ibkr_refuses_the_simulated_market_options(theo: Invoke, tmp_path: Path) -> None:
    cfg = tmp_path / "theo.toml"
    cfg.write_text('[app]\ndata_dir = "var"\n' + STRATEGY, encoding="utf-8")
    r = theo("run", "--config", str(cfg), "--broker", "ibkr", "--unlimited")
    assert r.exit_code == 2
    assert "the market is IBKR's" in r.output


@pytest.mark.parametrize("setting", ['[execution]\nbroker = "ibkr"\n', '[app]\nmode = "live"\n'])
def test_a_backtest_of_a_live_or_ibkr_config_still_runs_on_the_simulated_broker(theo: Invoke, tmp_path: Path,
                                                                                setting: str) -> None:
    from tests.conftest import shared_file

    data = shared_file("eqker/SPY_1min_2019-02-11_2019-02-15.csv.gz")
    cfg = tmp_path / "theo.toml"
    cfg.write_text(setting + STRATEGY, encoding="utf-8")
    r = theo("backtest", "--config", str(cfg), "--data", str(data), "--out", str(tmp_path / "out"))
    assert r.exit_code == 0, r.output
    assert (tmp_path / "out" / "fills.csv").read_text().count("\n") > 1
