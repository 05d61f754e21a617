"""Option strike selection by moneyness (market-rules.md §6 intervals, configured category split)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theo.config.market import OptionCategorySplit
from theo.core.errors import OrderValidationError
from theo.model.enums import OptionRight
from theo.strategy.scanner.strikes import nearest_strike, select_strike, strike_above, strike_below, strike_interval


def test_standard_intervals() -> None:
    assert strike_interval(Decimal(20)) == Decimal("2.5")
    assert strike_interval(Decimal(25)) == Decimal("2.5")
    assert strike_interval(Decimal(26)) == 5
    assert strike_interval(Decimal(200)) == 5
    assert strike_interval(Decimal(201)) == 10


def test_strike_grid_steps_across_bands() -> None:
    assert strike_above(Decimal("22.5")) == 25
    assert strike_above(Decimal(25)) == 30
    assert strike_above(Decimal(200)) == 210
    assert strike_below(Decimal(210)) == 200
    assert strike_below(Decimal(30)) == 25
    assert strike_below(Decimal("2.5")) == 0


@pytest.mark.parametrize(
    ("price", "right", "category", "strike"),
    [
        (100, "CALL", "ATM", "100"), (100, "CALL", "ITM", "95"), (100, "CALL", "OTM", "105"),
        (100, "CALL", "DITM", "85"), (100, "CALL", "DOTM", "115"),
        (100, "PUT", "ITM", "105"), (100, "PUT", "OTM", "95"), (100, "PUT", "DITM", "115"),
        (100, "PUT", "DOTM", "85"),
        (101.3, "CALL", "ITM", "100"), (101.3, "CALL", "DITM", "90"), (101.3, "PUT", "ITM", "105"),
        (23.1, "CALL", "ATM", "22.5"), (23.1, "CALL", "OTM", "25"), (23.1, "PUT", "DITM", "35"),
        (480, "CALL", "ITM", "470"), (480, "CALL", "DOTM", "530"), (480, "PUT", "DITM", "530"),
        (199, "CALL", "OTM", "200"), (199, "PUT", "ITM", "200"),
    ],
)
def test_select_strike(price: float, right: str, category: str, strike: str) -> None:
    assert select_strike(price, right, category) == Decimal(strike)


def test_the_configured_split_moves_the_deep_strikes() -> None:
    wide = OptionCategorySplit(itm_strikes=4, otm_strikes=4, deep_itm_pct=Decimal(1), deep_otm_pct=Decimal(1))
    assert select_strike(100, OptionRight.CALL, "DITM", wide) == 75  # 5 strikes in the money
    assert select_strike(100, OptionRight.CALL, "DOTM", wide) == 125
    pct = OptionCategorySplit(itm_strikes=1, deep_itm_pct=Decimal(20))
    assert select_strike(100, OptionRight.CALL, "DITM", pct) == 80


def test_impossible_strikes_are_refused() -> None:
    with pytest.raises(OrderValidationError, match="no listed DITM CALL strike"):
        select_strike(3, "CALL", "DITM")
    with pytest.raises(OrderValidationError, match="positive"):
        select_strike(0, "CALL", "ATM")
    with pytest.raises(OrderValidationError, match="category 'FAR'"):
        select_strike(100, "CALL", "FAR")


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=Decimal(30), max_value=Decimal(2000), places=2),
       st.sampled_from([OptionRight.CALL, OptionRight.PUT]))
def test_categories_have_the_right_moneyness(price: Decimal, right: OptionRight) -> None:
    def itm(k: Decimal) -> bool:
        return price > k if right is OptionRight.CALL else price < k

    def otm(k: Decimal) -> bool:
        return price < k if right is OptionRight.CALL else price > k

    itm_k, ditm_k = select_strike(price, right, "ITM"), select_strike(price, right, "DITM")
    otm_k, dotm_k = select_strike(price, right, "OTM"), select_strike(price, right, "DOTM")
    assert itm(itm_k)
    assert itm(ditm_k)
    assert otm(otm_k)
    assert otm(dotm_k)
    assert abs(ditm_k - price) > abs(itm_k - price)
    assert abs(ditm_k - price) >= price / 10  # default deep split: 10 % of the underlying
    assert abs(dotm_k - price) >= price / 10
    for k in (itm_k, ditm_k, otm_k, dotm_k, select_strike(price, right, "ATM")):
        assert k % strike_interval(k) == 0 or k % strike_interval(k - 1) == 0
    assert abs(nearest_strike(price) - price) <= strike_interval(price) / 2
