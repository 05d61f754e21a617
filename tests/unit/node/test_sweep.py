"""Sweep grids: value parsing, seeded random subsets, parameter overrides with clear errors."""

from __future__ import annotations

import pytest

from theo.analysis.sweep import combinations, parse_values, with_params
from theo.config import TheoConfig
from theo.core.errors import ConfigError


def test_values_lists_and_inclusive_ranges() -> None:
    assert parse_values("entry_period=10, 20,30") == ("entry_period", [10, 20, 30])
    assert parse_values("exit_period=5:15:5") == ("exit_period", [5, 10, 15])
    assert parse_values("entry_z=1.5:2.5:0.5") == ("entry_z", [1.5, 2.0, 2.5])
    with pytest.raises(ConfigError, match="NAME=V1,V2"):
        parse_values("entry_period")
    with pytest.raises(ConfigError, match="LO <= HI"):
        parse_values("x=5:1:1")


def test_random_subset_is_seeded_and_distinct() -> None:
    grid = [("a", [1, 2, 3, 4]), ("b", [10, 20, 30])]
    assert len(combinations(grid, None, 0)) == 12
    one, two = combinations(grid, 5, 7), combinations(grid, 5, 7)
    assert one == two
    assert len({tuple(sorted(c.items())) for c in one}) == 5


def test_with_params_validates_the_new_values() -> None:
    cfg = TheoConfig.model_validate({"strategies": [{"type": "donchian_breakout", "name": "d"}]})
    assert with_params(cfg, "d", {"entry_period": 40}).strategies[0].entry_period == 40  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match="has no parameter 'lookback'"):
        with_params(cfg, "d", {"lookback": 3})
    with pytest.raises(ConfigError, match="not valid for 'd'"):
        with_params(cfg, "d", {"exit_period": 100})
    with pytest.raises(ConfigError, match="not in the config"):
        with_params(cfg, "x", {"entry_period": 4})
