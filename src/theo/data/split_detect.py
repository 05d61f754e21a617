"""Suggest splits from price gaps between sessions: a hint for the operator, never an adjustment by itself.

A split shows as an overnight gap whose size is a small whole-number ratio (2:1, 3:2, 1:4, ...). A crash can
look the same, so a suggestion is only printed (or written as a CSV to check and import); the adjustment
always comes from the ``corporate_actions`` table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from theo.core.calendar import ET
from theo.core.time import from_us
from theo.model.enums import CorporateActionKind

#: Ratios (new shares per old share) splits are announced in.
RATIOS = sorted({Fraction(n, d) for n in range(1, 11) for d in range(1, 11) if n != d} |
                {Fraction(1, k) for k in (15, 20, 25, 30, 40, 50)} | {Fraction(k) for k in (15, 20, 25, 50)})


@dataclass(frozen=True, slots=True)
class SplitSuggestion:
    """An overnight gap that looks like a split of ``ratio`` new shares per old share."""

    ex_date: date
    kind: CorporateActionKind
    ratio: Fraction
    previous_close: float
    open: float
    error_pct: float  # how far the gap is from the exact ratio

    @property
    def ratio_text(self) -> str:
        return f"{self.ratio.numerator}:{self.ratio.denominator}"

    @property
    def ratio_decimal(self) -> Decimal:
        return (Decimal(self.ratio.numerator) / Decimal(self.ratio.denominator)).quantize(Decimal("0.00000001"))


def suggest_splits(start_us: npt.NDArray[np.int64], open_: npt.NDArray[np.float64], close: npt.NDArray[np.float64],
                   *, min_gap: float = 1.4, tolerance_pct: float = 4.0) -> list[SplitSuggestion]:
    """Overnight gaps of at least ``min_gap`` (either way) within ``tolerance_pct`` of a split ratio."""
    out: list[SplitSuggestion] = []
    days = [from_us(int(t)).astimezone(ET).date() for t in start_us]
    for i in range(1, len(start_us)):
        if days[i] == days[i - 1] or close[i - 1] <= 0 or open_[i] <= 0:
            continue
        gap = float(close[i - 1] / open_[i])  # new shares per old share if this were a split
        if 1 / min_gap < gap < min_gap:
            continue
        best = min(RATIOS, key=lambda r: abs(gap / float(r) - 1))
        err = abs(gap / float(best) - 1) * 100
        if err <= tolerance_pct:
            kind = CorporateActionKind.SPLIT if best > 1 else CorporateActionKind.REVERSE_SPLIT
            out.append(SplitSuggestion(days[i], kind, best, float(close[i - 1]), float(open_[i]), err))
    return out
