"""Strike selection on a real chain (listed strikes) instead of the standard intervals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from theo.config.market import OptionCategorySplit
from theo.core.errors import OrderValidationError
from theo.strategy.scanner.strikes import select_strike

# $1 strikes near the money, $5 further out, as a real weekly chain lists them (no 97.5, no 102.5).
CHAIN = [Decimal(k) for k in (80, 85, 90, 95, 96, 97, 98, 99, 100, 101, 102, 103, 104, 105, 110, 115, 120)]


@pytest.mark.parametrize(("price", "right", "category", "strike"), [
    (100.4, "CALL", "ATM", "100.00"),
    (100.5, "CALL", "ATM", "101.00"),  # ties go up
    (100.4, "CALL", "ITM", "100.00"),
    (100.4, "CALL", "OTM", "101.00"),
    (100.0, "CALL", "ITM", "99.00"),  # strictly in the money
    (100.4, "PUT", "ITM", "101.00"),
    (100.4, "PUT", "OTM", "100.00"),
])
def test_listed_strikes_replace_assumed_spacing(price: float, right: str, category: str, strike: str) -> None:
    assert select_strike(price, right, category, chain=CHAIN) == Decimal(strike)
    # the assumed $5 spacing would have picked a strike the chain may not list
    assert select_strike(100.4, "CALL", "OTM") == Decimal("105.00")


def test_deep_categories_walk_listed_strikes() -> None:
    split = OptionCategorySplit(itm_strikes=3, otm_strikes=3, deep_itm_pct=Decimal("0.01"),
                                deep_otm_pct=Decimal("0.01"))
    # in the money for a call: 100, 99, 98, 97 -> the 4th listed strike below
    assert select_strike(100.4, "CALL", "DITM", split, CHAIN) == Decimal("97.00")
    assert select_strike(100.4, "CALL", "DOTM", split, CHAIN) == Decimal("104.00")
    pct = OptionCategorySplit(itm_strikes=1, otm_strikes=1, deep_itm_pct=Decimal(12), deep_otm_pct=Decimal(12))
    assert select_strike(100.4, "CALL", "DITM", pct, CHAIN) == Decimal("85.00")  # >= 12 % in the money
    assert select_strike(100.4, "CALL", "DOTM", pct, CHAIN) == Decimal("115.00")


def test_chain_edges_give_clear_errors() -> None:
    with pytest.raises(OrderValidationError, match="no listed DITM CALL strike"):
        select_strike(82, "CALL", "DITM", chain=CHAIN)
    with pytest.raises(OrderValidationError, match="no listed OTM CALL strike"):
        select_strike(121, "CALL", "OTM", chain=CHAIN)
    with pytest.raises(OrderValidationError, match="lists no strikes"):
        select_strike(100, "CALL", "ATM", chain=[])
