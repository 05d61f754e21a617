"""Live trading without the Interactive Brokers adapter stops with a clear error; it never trades anything else."""

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


@pytest.mark.parametrize(("setting", "named"), [
    ('[app]\nmode = "live"\ndata_dir = "var"\n', '[app] mode = "live"'),
    ('[app]\ndata_dir = "var"\n[execution]\nbroker = "ibkr"\n', '[execution] broker = "ibkr"'),
])
def test_live_or_ibkr_without_the_adapter_is_refused_before_anything_runs(theo: Invoke, tmp_path: Path,
                                                                          setting: str, named: str) -> None:
    cfg = tmp_path / "theo.toml"
    cfg.write_text(setting + STRATEGY, encoding="utf-8")
    assert theo("db", "upgrade", "--config", str(cfg)).exit_code == 0
    r = theo("run", "--config", str(cfg), "--duration", "5")
    assert r.exit_code == 2
    assert named in r.output
    assert "Interactive Brokers adapter" in r.output
    assert "Traceback" not in r.output
    status = theo("status", "--config", str(cfg))
    assert status.exit_code == 1  # no run was recorded: nothing traded the synthetic market
    assert "no engine run recorded yet" in status.output


def test_the_refusal_comes_before_the_store_is_created(theo: Invoke, tmp_path: Path) -> None:
    cfg = tmp_path / "theo.toml"
    cfg.write_text('[app]\nmode = "live"\ndata_dir = "var"\n' + STRATEGY, encoding="utf-8")
    r = theo("run", "--config", str(cfg), "--duration", "5")
    assert r.exit_code == 2
    assert not (tmp_path / "var").exists()


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
