"""Properties of seq numbering and the out-of-order rule (Hypothesis)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from theo.data.files import read_market_file
from theo.persistence.writer import tick_seq

timestamps = st.lists(st.integers(min_value=0, max_value=20), min_size=0, max_size=60)


@given(timestamps)
def test_seq_makes_ts_seq_unique_and_counts_in_input_order(values: list[int]) -> None:
    ts = np.array(values, dtype=np.int64)
    seq = tick_seq(ts)
    assert len(set(zip(ts.tolist(), seq.tolist(), strict=True))) == len(values)
    for i, t in enumerate(values):
        assert seq[i] == values[:i].count(t)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=5_000), min_size=1, max_size=40),
       st.integers(min_value=0, max_value=2_000))
def test_a_tick_is_out_of_order_exactly_when_it_falls_behind_by_more_than_the_tolerance(
    millis: list[int], tol_ms: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        rows = [f"2020-01-02T14:30:{m // 1000:02d}.{m % 1000:03d}Z,1.0,1" for m in millis]
        path.write_text("ts,price,size\n" + "\n".join(rows) + "\n")
        res = read_market_file(path, "X", out_of_order_tolerance_us=tol_ms * 1000)
    assert res.ticks is not None
    assert all(r.reason == "out_of_order" for r in res.rejections)
    kept_lines = set(res.ticks.line.tolist())
    latest = -1
    for line, m in enumerate(millis, start=2):
        late = latest >= 0 and m < latest - tol_ms
        assert (line not in kept_lines) == late
        if not late:
            latest = max(latest, m)
