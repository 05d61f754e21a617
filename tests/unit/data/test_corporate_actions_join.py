"""Joining two tickers' bars at a symbol change: every start once, the new ticker's from the ex-date on, the
old ticker's before it (the new one's own earlier bars only where the old has none)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from theo.data.bars.stored import StoredBarColumns
from theo.data.corporate_actions_join import merge_before

DAY = 86_400_000_000


def _cols(symbol: str, days: list[int], price: float) -> StoredBarColumns:
    start = np.array(sorted(days), dtype=np.int64) * DAY
    close = start.astype(np.float64) / DAY + price
    return StoredBarColumns(symbol, "1d", start, start + DAY // 4, close, close, close, close,
                            np.full(len(start), 10.0), np.full(len(start), "REGULAR"))


@given(st.sets(st.integers(0, 60)), st.sets(st.integers(0, 60)), st.integers(0, 61))
def test_merge_keeps_every_start_once_with_the_right_owner(old: set[int], new: set[int], cut: int) -> None:
    older = _cols("FB", [d for d in old if d < cut], 1000.0)
    newer = _cols("META", list(new), 5000.0)
    out = merge_before(older, newer, cut * DAY)
    want = {d: 1000.0 for d in old if d < cut} | {d: 5000.0 for d in new if d >= cut or d not in old}
    assert out.symbol == "META"
    assert out.start_us.tolist() == [d * DAY for d in sorted(want)]
    assert out.close.tolist() == [d + want[d] for d in sorted(want)]
    assert out.end_us.tolist() == [d * DAY + DAY // 4 for d in sorted(want)]
    assert out.session.tolist() == ["REGULAR"] * len(want)
