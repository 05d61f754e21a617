"""Correlation strategy configuration: valid shapes load; bad ones are refused at load with a precise message."""

from __future__ import annotations

from pathlib import Path

import pytest

from theo.config import load_config
from theo.core.errors import ConfigError
from theo.strategy.library.correlation_config import CorrelationStrategyConfig


def _load(tmp_path: Path, body: str) -> object:
    path = tmp_path / "theo.toml"
    path.write_text(body, encoding="utf-8")
    return load_config(path, env={})


BASE = """
[[strategies]]
type = "correlation"
name = "spy_vix"
primary = "SPY"
"""


def test_full_config_loads_with_plain_and_table_symbols(tmp_path: Path) -> None:
    cfg = _load(tmp_path, BASE + """
correlated = ["VIX", {symbol = "QQQ", sign = "positive", confirm = "same"}]
require = "any"
timeframe = "5m"
indicator_timeframe = "15m"
correlation = {method = "spearman", window = 40, min_points = 20, on = "prices", threshold = 0.6, sign = "negative"}
entry_rules = ["atr(14) > 0.1 and QQQ.corr >= 0.7"]
exit_rules = ["close < sl"]
signal_interval_seconds = 900
quality = {max_gap_bars = 1, stale_after_seconds = 600}
""")
    strat = cfg.strategies[0]  # type: ignore[attr-defined]
    assert isinstance(strat, CorrelationStrategyConfig)
    assert strat.symbols == ("SPY", "VIX", "QQQ")
    assert [strat.sign_of(c) for c in strat.correlated] == ["negative", "positive"]
    assert strat.correlated[1].confirm == "same"
    assert strat.parsed_entry_rules()[0].keys == ("atr(14)", "QQQ.corr")
    assert strat.quality.max_gap_bars == 1


@pytest.mark.parametrize(
    ("extra", "fragments"),
    [
        ('correlated = ["VIX"]\nentry_rules = ["XYZ.close > 1"]',
         ["entry_rules", "unknown symbol 'XYZ'", "position 0", "^"]),
        ('correlated = ["VIX"]\nexit_rules = ["close >> 1"]', ["exit_rules", "rule 1", "position 7"]),
        ('correlated = ["VIX", "VIX"]', ["VIX", "listed twice"]),
        ('correlated = ["SPY"]', ["SPY", "listed twice"]),
        ("correlated = []", ["correlated", "at least 1"]),
        ('correlated = ["vix"]', ["correlated.0.symbol", "symbol 'vix' must be", "e.g. VIX"]),
        ('correlated = ["VIX"]\ncorrelation = {window = 10, min_points = 20}', ["min_points 20 exceeds window 10"]),
        ('correlated = ["VIX"]\ncorrelation = {method = "magic"}', ["correlation.method", "magic"]),
        ('correlated = ["VIX"]\nrequire = "most"', ["require", "most"]),
        ('correlated = ["VIX"]\nthreshold = 0.5', ["threshold", "unknown key"]),
    ],
)
def test_invalid_configs_are_refused_at_load(tmp_path: Path, extra: str, fragments: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, BASE + extra + "\n")
    for fragment in fragments:
        assert fragment in str(info.value)


def test_a_malformed_primary_symbol_is_explained(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, BASE.replace('"SPY"', '"spy"') + 'correlated = ["VIX"]\n')
    assert "primary = 'spy': symbol 'spy' must be 1-16 upper-case letters" in str(info.value)
    assert "e.g. SPY" in str(info.value)
