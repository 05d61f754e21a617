"""Parsing indicator specs and flattening values."""

from __future__ import annotations

import pytest

from tests.unit.indicators.support import synthetic, to_bars
from theo.core.errors import ConfigError
from theo.indicators import ATR, Donchian, Fractals, IndicatorSet, Pivots, Swings, column_names, parse_spec


def test_parse_spec_builds_named_indicators() -> None:
    inds = parse_spec("atr:14, donchian:20,fractal:2,swing:3:1,pivot:camarilla")
    assert [type(i) for i in inds] == [ATR, Donchian, Fractals, Swings, Pivots]
    assert [i.name for i in inds] == ["atr_14", "donchian_20", "fractal_2_2", "swing_3_1", "pivot_camarilla"]
    assert [i.name for i in parse_spec("atr,donchian,fractal,swing,pivot")] == [
        "atr_14", "donchian_20", "fractal_2_2", "swing_2_2", "pivot_classic"]


@pytest.mark.parametrize(("spec", "message"), [
    ("atr:14,foo:3", "unknown indicator 'foo' in 'foo:3'"),
    ("atr:x", "indicator 'atr:x': 'x' is not a whole number"),
    ("donchian:0", "indicator 'donchian:0': 0 must be at least 1"),
    ("fractal:2:2:2", "indicator 'fractal:2:2:2': too many parameters"),
    ("pivot:weird", "indicator 'pivot:weird': unknown pivot method 'weird'"),
    ("atr:14,atr:14", "indicator 'atr:14' is listed twice"),
    (" , ", "empty indicator list"),
])
def test_parse_spec_errors_name_the_offending_item(spec: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_spec(spec)
    assert message in str(err.value)


def test_values_are_flat_and_empty_until_ready() -> None:
    iset = IndicatorSet("TEST", "1m", parse_spec("atr:2,donchian:2"))
    assert column_names(iset.indicators) == ["atr_2", "donchian_2_upper", "donchian_2_middle", "donchian_2_lower"]
    bars = to_bars(synthetic([10.0, 12.0, 11.0]))
    iset.update(bars[0])
    assert iset.values() == {"atr_2": None, "donchian_2_upper": None, "donchian_2_middle": None,
                             "donchian_2_lower": None}
    iset.update(bars[1])
    iset.update(bars[2])
    v = iset.values()
    assert v["donchian_2_upper"] == 12.0
    assert v["donchian_2_lower"] == 10.0
    assert v["atr_2"] is not None
    assert ("donchian_2", "middle", 11.0) in iset.records()
    iset.reset()
    assert iset.values()["atr_2"] is None
    assert iset.last_bar is None
