"""Backward adjustment for corporate actions, computed on read: stored prices stay raw.

As data vendors do it, the latest prices are left as traded and everything before an ex-date is rescaled
onto the new basis: prices are multiplied by the action's factor, volumes divided by it, so a 2-for-1 split
halves earlier prices and doubles earlier volumes. Factors compose by multiplication, which makes the
adjustment of a bar the product of the factors of every action after it.

* split / reverse split (``ratio`` new shares per old share): factor ``1 / ratio``;
* stock dividend (``ratio`` extra shares per share): factor ``1 / (1 + ratio)``;
* cash dividend (``amount`` per share): factor ``1 - amount / close``, ``close`` being the last raw close
  before the ex-date (the multiplicative rule CRSP and the big vendors use), only when dividends are asked for;
* symbol change: no factor (the price basis does not move).

Factors are exact fractions of the decimal figures, so composing them loses nothing; prices are ``Decimal``
in the scalar functions and float64 only where whole series (NumPy arrays) are rescaled.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from theo.core.calendar import ET
from theo.core.time import to_us
from theo.model.enums import Adjustment, CorporateActionKind
from theo.model.reference import CorporateAction

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: When two sources report the same action (kind and ex-date), the first source here wins: a file the
#: operator imported, then the vendor's reference data, then the broker.
SOURCE_PRIORITY = ("csv", "polygon", "ibkr")


def split_factor(action: CorporateAction) -> Fraction | None:
    """The price factor of a split, reverse split or stock dividend (``None`` for other kinds)."""
    if action.ratio is None:
        return None
    if action.kind in (CorporateActionKind.SPLIT, CorporateActionKind.REVERSE_SPLIT):
        return 1 / Fraction(action.ratio)
    if action.kind is CorporateActionKind.STOCK_DIVIDEND:
        return 1 / (1 + Fraction(action.ratio))
    return None


def dividend_factor(action: CorporateAction, previous_close: Decimal | None) -> Fraction | None:
    """The price factor of a cash dividend given the last raw close before its ex-date.

    ``None`` when there is no close before the ex-date (nothing to adjust) or the dividend is not below it
    (a figure that cannot be right: adjusting would make prices zero or negative).
    """
    if action.kind is not CorporateActionKind.CASH_DIVIDEND or action.amount is None or previous_close is None:
        return None
    if previous_close <= action.amount:
        return None
    close = Fraction(previous_close)
    return (close - Fraction(action.amount)) / close


def adjust_price(price: Decimal, factor: Fraction) -> Decimal:
    """``price`` on the adjusted basis (28 significant digits)."""
    return price * factor.numerator / factor.denominator


def unadjust_price(price: Decimal, factor: Fraction) -> Decimal:
    """An adjusted price back on the raw basis: the inverse of :func:`adjust_price`."""
    return price * factor.denominator / factor.numerator


def compose(factors: Iterable[Fraction]) -> Fraction:
    """The factor of several actions applied one after the other."""
    out = Fraction(1)
    for f in factors:
        out *= f
    return out


def boundary_us(ex_date: date) -> int:
    """The instant an ex-date begins (00:00 New York): bars starting before it are on the old basis."""
    return to_us(datetime.combine(ex_date, time(0), tzinfo=ET))


def source_rank(source: str) -> int:
    """Where ``source`` stands in :data:`SOURCE_PRIORITY` (lower wins; unknown sources last)."""
    head = source.split(":", 1)[0].lower()
    return SOURCE_PRIORITY.index(head) if head in SOURCE_PRIORITY else len(SOURCE_PRIORITY)


def effective(actions: Iterable[CorporateAction], mode: Adjustment) -> list[CorporateAction]:
    """The actions an adjustment in ``mode`` applies: one per (kind, ex-date), oldest first.

    The same split reported by the CSV import, Polygon and IBKR must count once; the source earliest in
    :data:`SOURCE_PRIORITY` is used.
    """
    kinds = set()
    if mode.splits:
        kinds |= {CorporateActionKind.SPLIT, CorporateActionKind.REVERSE_SPLIT, CorporateActionKind.STOCK_DIVIDEND}
    if mode.dividends:
        kinds.add(CorporateActionKind.CASH_DIVIDEND)
    best: dict[tuple[CorporateActionKind, date], CorporateAction] = {}
    for a in actions:
        if a.kind not in kinds:
            continue
        key = (a.kind, a.ex_date)
        if key not in best or source_rank(a.source) < source_rank(best[key].source):
            best[key] = a
    return sorted(best.values(), key=lambda a: (a.ex_date, a.kind.value))


@dataclass(frozen=True, slots=True)
class Step:
    """One change of price basis: bars starting before ``boundary_us`` are multiplied by ``factor``."""

    action: CorporateAction
    boundary_us: int
    factor: Fraction

    def describe(self) -> str:
        a = self.action
        return f"{a.kind.value} {a.ex_date} ({a.figure}, factor {float(self.factor):.6g}, {a.source or 'no source'})"


@dataclass(frozen=True, slots=True)
class AdjustmentPlan:
    """The steps of one symbol's series, oldest first, and what could not be applied (with the reason)."""

    mode: Adjustment
    steps: tuple[Step, ...] = ()
    skipped: tuple[str, ...] = ()

    def factor_at(self, start_us: int) -> Fraction:
        """The cumulative factor of a bar starting at ``start_us``: every step after it."""
        return compose(s.factor for s in self.steps if start_us < s.boundary_us)

    def factors(self, start_us: IntArray) -> FloatArray:
        """The cumulative factor of every bar (as float64), for rescaling whole columns."""
        out = np.ones(len(start_us), dtype=np.float64)
        for s in self.steps:
            out[start_us < s.boundary_us] *= float(s.factor)
        return out

    def describe(self) -> str:
        """One line for a log, a note or a report: the mode and the steps applied."""
        if self.mode is Adjustment.NONE:
            return "unadjusted (raw prices)"
        applied = "; ".join(s.describe() for s in self.steps) or "no actions in range"
        return f"adjusted for {self.mode.value}: {applied}"


def plan(actions: Sequence[CorporateAction], mode: Adjustment, start_us: IntArray,
         close: FloatArray) -> AdjustmentPlan:
    """The adjustment of one series (bar starts and raw closes, oldest first) for ``actions`` in ``mode``.

    An action on or before the first bar's date changes nothing. One after the last bar still rescales the
    whole series onto today's basis, as a vendor's adjusted history does; a cash dividend there is skipped
    (with the reason) because the close before its ex-date is not in the series.
    """
    if mode is Adjustment.NONE or len(start_us) == 0:
        return AdjustmentPlan(mode)
    steps: list[Step] = []
    skipped: list[str] = []
    for a in effective(actions, mode):
        b = boundary_us(a.ex_date)
        before = int(np.searchsorted(start_us, b, side="left"))  # bars starting before the ex-date
        if before == 0:
            continue  # the series starts on the new basis
        if a.kind is CorporateActionKind.CASH_DIVIDEND:
            if before == len(start_us):
                skipped.append(f"cash_dividend {a.ex_date}: after the last bar, no close before its ex-date")
                continue
            prev = Decimal(repr(float(close[before - 1])))
            factor = dividend_factor(a, prev)
            if factor is None:
                skipped.append(f"cash_dividend {a.ex_date}: {a.amount}/share is not below the close {prev}")
                continue
        else:
            f = split_factor(a)
            if f is None:
                continue
            factor = f
        steps.append(Step(a, b, factor))
    return AdjustmentPlan(mode, tuple(steps), tuple(skipped))


def adjust_columns(factors: FloatArray, open_: FloatArray, high: FloatArray, low: FloatArray, close: FloatArray,
                   volume: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """OHLC multiplied by ``factors``, volume divided by them (the traded value of each bar is unchanged)."""
    return open_ * factors, high * factors, low * factors, close * factors, volume / factors
