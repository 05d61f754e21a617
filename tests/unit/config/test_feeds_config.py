"""``[feeds]``: the example block loads, and mistakes are refused with the key and what to do."""

from __future__ import annotations

import tomllib

import pytest
from pydantic import ValidationError

from tests.unit.config.test_example_blocks import uncommented
from theo.config.schema import TheoConfig
from theo.data.failover.config import FeedsConfig


def test_the_example_block_loads_with_its_per_symbol_override() -> None:
    cfg = TheoConfig.model_validate(tomllib.loads(uncommented("# [feeds]")))
    assert (cfg.feeds.primary, cfg.feeds.secondary) == ("ibkr", "")
    assert cfg.feeds.stale_after("IWM") == 15.0
    assert cfg.feeds.stale_after("SPY") == 5.0
    assert cfg.feeds.model_copy(update={"stale_after_by_symbol": {}}) == FeedsConfig()


def test_defaults_run_on_the_primary_alone() -> None:
    assert FeedsConfig().secondary == ""
    assert FeedsConfig().stale_after_seconds == 5.0


@pytest.mark.parametrize(("values", "words"), [
    ({"secondary": "ibkr"}, "also the primary"),
    ({"secondary": "bloomberg"}, "secondary"),
    ({"stale_after_by_symbol": {"IWM": 0}}, "stale_after_by_symbol.IWM"),
    ({"stale_after_seconds": -1}, "stale_after_seconds"),
])
def test_mistakes_name_the_key(values: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        FeedsConfig.model_validate(values)


def test_per_symbol_overrides_are_upper_cased() -> None:
    assert FeedsConfig(stale_after_by_symbol={" iwm ": 12.0}).stale_after("IWM") == 12.0
