"""Option strike selection by moneyness category (market-rules.md §6).

The standard listing intervals are $2.50 for strikes up to $25, $5 up to $200 and $10 above
(market-rules.md §6). Real chains differ per class (weeklies, $1 programs): given ``chain`` (the strikes the
broker lists for the expiration, e.g. ``OptionChain.strikes_for(expiry)`` from IBKR), the same rules walk the
listed strikes instead of the assumed intervals.

Categories (calls; puts mirror): ATM is the listed strike nearest the underlying; ITM the nearest strike
below it; OTM the nearest above. DITM is the nearest strike that is more than ``itm_strikes`` strikes in
the money *and* at least ``deep_itm_pct`` % of the underlying in the money; DOTM likewise with
``otm_strikes`` and ``deep_otm_pct`` (``MarketConfig.option_category_split``).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Literal

from theo.config.market import OptionCategorySplit
from theo.core.errors import OrderValidationError
from theo.model.enums import OptionRight

Category = Literal["ATM", "ITM", "OTM", "DITM", "DOTM"]
LOW_BAND = Decimal(25)  # market-rules.md §6: $2.50 intervals up to $25
MID_BAND = Decimal(200)  # market-rules.md §6: $5 intervals up to $200, $10 above


def strike_interval(level: Decimal) -> Decimal:
    """The standard strike interval at price ``level`` (market-rules.md §6)."""
    if level <= LOW_BAND:
        return Decimal("2.5")
    if level <= MID_BAND:
        return Decimal(5)
    return Decimal(10)


def _floor(level: Decimal) -> Decimal:
    """The highest listed strike at or below ``level``."""
    step = strike_interval(level)
    return (level / step).to_integral_value(rounding=ROUND_FLOOR) * step


def _ceil(level: Decimal) -> Decimal:
    """The lowest listed strike at or above ``level``."""
    step = strike_interval(level)
    return (level / step).to_integral_value(rounding=ROUND_CEILING) * step


def strike_above(strike: Decimal) -> Decimal:
    """The next listed strike above ``strike``."""
    return _ceil(strike + Decimal("0.0001"))


def strike_below(strike: Decimal) -> Decimal:
    """The next listed strike below ``strike`` (0 when there is none)."""
    return _floor(strike - Decimal("0.0001")) if strike > Decimal("2.5") else Decimal(0)


def nearest_strike(price: Decimal) -> Decimal:
    """The listed strike nearest ``price`` (ties go up)."""
    step = strike_interval(price)
    return (price / step).to_integral_value(rounding=ROUND_HALF_UP) * step


class _Listed:
    """The strike ladder of a real chain: the same moves as the standard intervals, on listed strikes only."""

    def __init__(self, strikes: Sequence[Decimal]) -> None:
        self.strikes = sorted({Decimal(k) for k in strikes if Decimal(k) > 0})

    def floor(self, level: Decimal) -> Decimal:
        i = bisect_right(self.strikes, level)
        return self.strikes[i - 1] if i else Decimal(0)

    def ceil(self, level: Decimal) -> Decimal:
        i = bisect_left(self.strikes, level)
        return self.strikes[i] if i < len(self.strikes) else Decimal(0)

    def above(self, strike: Decimal) -> Decimal:
        return self.ceil(strike + Decimal("0.0001"))

    def below(self, strike: Decimal) -> Decimal:
        return self.floor(strike - Decimal("0.0001"))

    def nearest(self, level: Decimal) -> Decimal:
        lo, hi = self.floor(level), self.ceil(level)
        if lo <= 0:
            return hi
        if hi <= 0:
            return lo
        return hi if hi - level <= level - lo else lo  # ties go up, as with the standard intervals


def select_strike(underlying_price: Decimal | float, right: OptionRight | str, category: Category | str,
                  split: OptionCategorySplit | None = None, chain: Sequence[Decimal] | None = None) -> Decimal:
    """The strike for an option of ``right`` in moneyness ``category`` around ``underlying_price``; on the
    listed strikes of ``chain`` when given, else on the standard intervals."""
    s = Decimal(str(underlying_price))
    if not s.is_finite() or s <= 0:
        raise OrderValidationError(f"underlying price {underlying_price!r} must be a positive number")
    if chain is not None:
        listed = _Listed(chain)
        if not listed.strikes:
            raise OrderValidationError("the option chain lists no strikes for this expiration")
        return _select(s, right, category, split, listed.floor, listed.ceil, listed.above, listed.below,
                       listed.nearest)
    return _select(s, right, category, split, _floor, _ceil, strike_above, strike_below, nearest_strike)


Move = Callable[[Decimal], Decimal]


def _select(s: Decimal, right: OptionRight | str, category: Category | str, split: OptionCategorySplit | None,
            floor: Move, ceil: Move, above: Move, below: Move, nearest: Move) -> Decimal:
    right = OptionRight(str(right).upper())
    category = str(category).upper()
    split = split or OptionCategorySplit()
    itm_is_down = right is OptionRight.CALL  # a call is in the money below the underlying
    if category == "ATM":
        return _positive(nearest(s), s, right, category)
    if category in ("ITM", "DITM"):
        toward, first = (below, floor(s)) if itm_is_down else (above, ceil(s))
        band, pct = split.itm_strikes, split.deep_itm_pct
    elif category in ("OTM", "DOTM"):
        toward, first = (above, ceil(s)) if itm_is_down else (below, floor(s))
        band, pct = split.otm_strikes, split.deep_otm_pct
    else:
        raise OrderValidationError(f"option category {category!r} is not one of ATM, ITM, OTM, DITM, DOTM")
    strike = first if first != s else toward(first)  # strictly in/out of the money
    if strike <= 0 or category in ("ITM", "OTM"):
        return _positive(strike, s, right, category)
    steps = 1
    while steps <= band or abs(strike - s) < s * pct / 100:
        strike = toward(strike)
        steps += 1
        if strike <= 0:
            break
    return _positive(strike, s, right, category)


def _positive(strike: Decimal, s: Decimal, right: OptionRight, category: str) -> Decimal:
    if strike <= 0:
        raise OrderValidationError(f"no listed {category} {right.value} strike exists for underlying price {s}")
    return strike.quantize(Decimal("0.01"))
