"""[engine] keys of the second execution model are gone: each one names its replacement, all at once."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from theo.config import TheoConfig


def test_every_removed_engine_key_is_named_with_what_replaces_it() -> None:
    with pytest.raises(ValidationError) as info:
        TheoConfig.model_validate({"engine": {"execution": "fast", "max_leverage": 3, "speed": 10}})
    text = str(info.value)
    assert "[engine] execution is no longer a setting: there is one engine" in text
    assert "[engine] max_leverage is no longer a setting: the margin, buying-power and exposure limits" in text


def test_backtest_fast_path_is_refused_and_the_rest_of_the_block_still_loads() -> None:
    with pytest.raises(ValidationError, match=r"\[engine.backtest\] fast_path is no longer a setting"):
        TheoConfig.model_validate({"engine": {"backtest": {"fast_path": True}}})
    assert TheoConfig.model_validate({"engine": {"speed": 10}}).engine.speed == 10.0
