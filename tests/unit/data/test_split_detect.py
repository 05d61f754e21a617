"""Split suggestions from overnight gaps: small whole-number ratios only, clearly only suggestions."""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction

import numpy as np

from theo.core.calendar import ET
from theo.core.time import to_us
from theo.data.split_detect import suggest_splits
from theo.model.enums import CorporateActionKind


def _days(n: int) -> np.ndarray:
    t0 = datetime(2014, 6, 2, 9, 30, tzinfo=ET)
    return np.array([to_us(t0 + timedelta(days=i)) for i in range(n)], dtype=np.int64)


def test_a_seven_for_one_gap_is_suggested_and_a_crash_is_not() -> None:
    close = np.array([645.57, 647.35, 92.0, 93.7, 60.0, 59.0])
    open_ = np.array([640.0, 646.0, 92.7, 93.0, 75.0, 59.5])  # day 4: a 20 % fall is no split ratio
    [s] = suggest_splits(_days(6), open_, close)
    assert (s.ex_date.isoformat(), s.kind, s.ratio, s.ratio_text) == (
        "2014-06-04", CorporateActionKind.SPLIT, Fraction(7), "7:1")
    assert s.error_pct < 1


def test_a_one_for_four_reverse_split_is_suggested() -> None:
    [s] = suggest_splits(_days(3), np.array([11.0, 45.0, 44.0]), np.array([11.3, 44.6, 44.0]))
    assert (s.kind, s.ratio_text, str(s.ratio_decimal)) == (CorporateActionKind.REVERSE_SPLIT, "1:4", "0.25000000")
