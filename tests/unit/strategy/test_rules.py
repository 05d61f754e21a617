"""The rule language: parsing, type checks, errors that point at the token, safe evaluation."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theo.core.errors import RuleSyntaxError
from theo.strategy.rules import Requirement, parse_rule, tokenize

SYMBOLS = ["SPY", "QQQ", "VIX"]


def test_example_rule_evaluates_with_named_values() -> None:
    rule = parse_rule("atr(14) > 0.5 and corr >= 0.7", SYMBOLS)
    assert rule.evaluate({"atr(14)": 0.6, "corr": 0.7}) is True
    assert rule.evaluate({"atr(14)": 0.4, "corr": 0.9}) is False
    assert rule.keys == ("atr(14)", "corr")
    assert rule.requirements == frozenset({Requirement(None, "atr", 14)})


def test_symbol_qualified_names_and_indicators() -> None:
    rule = parse_rule("QQQ.close < QQQ.sl or VIX.donchian_upper(20) - VIX.close > 1.5", SYMBOLS)
    assert rule.keys == ("QQQ.close", "QQQ.sl", "VIX.donchian_upper(20)", "VIX.close")
    assert rule.requirements == frozenset({Requirement("VIX", "donchian_upper", 20)})
    assert rule.evaluate({"QQQ.close": 10, "QQQ.sl": 11, "VIX.donchian_upper(20)": 0, "VIX.close": 0})
    assert not rule.evaluate({"QQQ.close": 12, "QQQ.sl": 11, "VIX.donchian_upper(20)": 20, "VIX.close": 19})


@pytest.mark.parametrize(
    ("expression", "values", "expected"),
    [
        ("1 + 2 * 3 == 7", {}, True),
        ("(1 + 2) * 3 == 9", {}, True),
        ("-close < 0", {"close": 5}, True),
        ("not close > 3", {"close": 2}, True),
        ("not (close > 3 and volume > 0)", {"close": 5, "volume": 0}, True),
        ("abs(corr) >= 0.7", {"corr": -0.8}, True),
        ("min(sh, sl) == sl", {"sh": 3, "sl": 2}, True),
        ("max(close, 1, 2) == 2", {"close": 0.5}, True),
        ("close / volume > 1", {"close": 1, "volume": 0}, False),  # division by zero is false
        ("close > 1 or corr > 0", {"close": 2, "corr": None}, False),  # missing value: false
        ("zscore != 0", {}, False),
        ("true", {}, True),
        ("price >= .5", {"price": 0.5}, True),
    ],
)
def test_evaluation(expression: str, values: dict[str, float | None], expected: bool) -> None:
    assert parse_rule(expression, SYMBOLS).evaluate(values) is expected


@pytest.mark.parametrize(
    ("expression", "position", "fragment"),
    [
        ("atr(14) >", 9, "ends too early"),
        ("foo > 1", 0, "unknown name 'foo'"),
        ("XYZ.close > 1", 0, "unknown symbol 'XYZ'"),
        ("close > 1 and atr(1, 2) > 0", 19, "exactly 1 argument"),
        ("atr(x) > 1", 4, "positive whole number"),
        ("atr(0) > 1", 4, "positive whole number"),
        ("atr(1.5) > 1", 4, "positive whole number"),
        ("abs(1, 2) > 0", 0, "exactly 1 arguments"),
        ("max(1) > 0", 0, "2 or more"),
        ("sqrt(2) > 1", 0, "unknown function 'sqrt'"),
        ("close > 1 2", 10, "after a complete rule"),
        ("close + 1", 0, "needs a condition"),
        ("close > 1 and 3", 14, "'and' needs a condition"),
        ("1 < 2 < 3", 6, "chained comparisons"),
        ("close $ 1", 6, "unexpected character '$'"),
        ("(close > 1", 10, "expected ')'"),
        ("", 0, "empty rule"),
        ("atr > 1", 0, "is a function"),
        ("close > (1 < 2)", 8, "needs a number"),
        ("and > 1", 0, "unexpected keyword"),
    ],
)
def test_errors_point_at_the_offending_token(expression: str, position: int, fragment: str) -> None:
    with pytest.raises(RuleSyntaxError) as info:
        parse_rule(expression, SYMBOLS)
    err = info.value
    assert err.position == position
    assert fragment in err.message
    assert err.expression == expression
    # The message draws a caret under the token.
    lines = str(err).splitlines()
    assert lines[-1].index("^") - 2 == position


def test_tokens_keep_their_positions() -> None:
    toks = tokenize("QQQ.close  >= 1.5")
    assert [(t.kind, t.text, t.pos) for t in toks] == [
        ("name", "QQQ.close", 0), ("op", ">=", 11), ("num", "1.5", 14), ("end", "", 17)]


def test_without_a_symbol_list_any_qualifier_parses() -> None:
    assert parse_rule("ABC.close > 1").keys == ("ABC.close",)


_ATOMS = st.sampled_from(["close", "corr", "atr(14)", "QQQ.sl", "1", "2.5", "(", ")", "and", "or", "not",
                          "<", ">=", "+", "*", "/", "-", ",", "abs(", "$", "foo"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_ATOMS, max_size=12))
def test_any_token_soup_parses_or_fails_with_rule_syntax_error(parts: list[str]) -> None:
    expression = " ".join(parts)
    try:
        rule = parse_rule(expression, SYMBOLS)
    except RuleSyntaxError as exc:
        position = exc.position
        rule = None
    if rule is None:
        assert 0 <= position <= len(expression)
        return
    values = {k: 1.0 for k in rule.keys}
    assert rule.evaluate(values) in (True, False)
    assert rule.evaluate({}) is (not rule.keys and rule.evaluate(values))


def test_a_nan_value_counts_as_missing() -> None:
    rule = parse_rule("not (corr > 0.5)", SYMBOLS)
    assert rule.evaluate({"corr": 0.1}) is True
    assert rule.evaluate({"corr": float("nan")}) is False  # NaN > 0.5 is False: "not" must not turn it true
    assert parse_rule("close > sl or corr < 0", SYMBOLS).evaluate({"close": 2.0, "sl": 1.0, "corr": float("inf")}) \
        is False
