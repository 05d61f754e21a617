"""Saving into the configuration file: tables placed in the right [[strategies]] entry, the file's layout and
comments kept, a key reset to its default removed, values written as TOML people write."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from tests.integration.api.conftest import RecordingSink
from theo.api.services import config_file
from theo.api.services.context import ServiceContext
from theo.config.loader import load_config
from theo.risk.config import RiskConfig
from theo.strategy.config import CorrelationStrategyConfig, DonchianBreakoutConfig

FILE = """# two strategies
[[strategies]]
type = "correlation"
name = "a"
primary = "SPY"
correlated = ["QQQ"]

[[strategies]]
type = "donchian_breakout"
name = "b"  # the breakout
symbols = ["SPY"]

[risk.trade]
time_exit = 15:55:00  # ET
"""


def test_saves_land_in_their_section_and_keep_the_layout(tmp_path: Path, sqlite_engine: Engine) -> None:
    path = tmp_path / "theo.toml"
    path.write_text(FILE, encoding="utf-8")
    ctx = ServiceContext(config=load_config(path, {}), store=sqlite_engine, events=RecordingSink(), config_path=path)
    first = config_file.save(ctx, ("strategies", 0), {"quality": {"max_gap_bars": 5}, "correlation": {"window": 40},
                                                      "sizing": {"method": "fixed_quantity", "quantity": "10"}},
                             CorrelationStrategyConfig, env={})
    assert first.after == {"quality.max_gap_bars": 5, "correlation.window": 40,
                           "sizing": {"method": "fixed_quantity", "quantity": "10"}}
    second = config_file.save(ctx, ("strategies", 1), {"entry_period": 30, "symbols": ["SPY", "QQQ"]},
                              DonchianBreakoutConfig, env={})
    assert second.before == {"entry_period": 20, "symbols": ["SPY"]}
    risk = config_file.save(ctx, ("risk",), {"breakers": {"max_drawdown_pct": "none"},
                                             "account": {"limits": {"account_risk_pct": "0.5"}}}, RiskConfig, env={})
    assert risk.after == {"breakers.max_drawdown_pct": None, "account.limits.account_risk_pct": "0.5"}
    reset = config_file.save(ctx, ("risk",), {"trade": {"time_exit": None}}, RiskConfig, env={})
    assert (reset.before, reset.after) == ({}, {})  # removed from the file, and the default is the same time
    assert path.read_text(encoding="utf-8") == """# two strategies
[[strategies]]
type = "correlation"
name = "a"
primary = "SPY"
correlated = ["QQQ"]

[strategies.quality]
max_gap_bars = 5

[strategies.correlation]
window = 40

[strategies.sizing]
method = "fixed_quantity"
quantity = 10

[[strategies]]
type = "donchian_breakout"
name = "b"  # the breakout
symbols = ["SPY", "QQQ"]
entry_period = 30

[risk.trade]

[risk.breakers]
max_drawdown_pct = "none"

[risk.account.limits]
account_risk_pct = 0.5
"""
    loaded = load_config(path, {})
    assert loaded.strategies[0].sizing_policy.method == "fixed_quantity"
    assert loaded.risk.breakers.max_drawdown_pct is None
