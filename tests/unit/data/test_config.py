from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from theo.data.config import MarketDataConfig

EXAMPLE = Path(__file__).resolve().parents[3] / "config" / "theo.example.toml"


def test_defaults_are_valid_and_match_the_documented_ones() -> None:
    cfg = MarketDataConfig()
    assert cfg.bars.timeframes == ["1m", "5m", "15m", "30m", "60m"]
    assert cfg.conditions.ohlc_conditions == ["", "1", "20000001"]
    assert cfg.feed == "synthetic"
    assert [i.symbol for i in cfg.synthetic.instruments] == ["SPY", "QQQ"]


def test_the_commented_example_block_is_valid_when_uncommented() -> None:
    text = EXAMPLE.read_text()
    start = text.index("# [marketdata]")
    lines = []
    for line in text[start:].splitlines():
        if not line.startswith("# ") or (lines and line.startswith("# ") and not line[2:].strip()):
            break
        lines.append(line[2:].split("  #")[0])
    data = tomllib.loads("\n".join(lines))
    cfg = MarketDataConfig.model_validate(data["marketdata"])
    assert cfg.replay.speed is None  # the default: as fast as possible
    assert len(cfg.synthetic.instruments) == 2


@pytest.mark.parametrize(("section", "value", "fragment"), [
    ("bars", {"timeframes": ["1m", "7x"]}, "7x"),
    ("bars", {"timeframes": ["1m", "5s"]}, "timeframe '5s': the bar collector builds bars from 1-minute bars"),
    ("bars", {"lateness_seconds": 90}, "lateness_seconds"),
    ("gate", {"zscore_window": 2}, "zscore_window"),
    ("gate", {"unknown": 1}, "unknown"),
])
def test_bad_values_are_refused_naming_the_key(section: str, value: dict[str, object], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        MarketDataConfig.model_validate({section: value})
