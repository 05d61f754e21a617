"""Tick sequence numbers: the tie-breaker that makes (symbol, ts, seq) a natural key."""

from __future__ import annotations

import numpy as np

from theo.persistence.writer import tick_seq


def test_seq_numbers_ticks_sharing_a_timestamp_in_input_order() -> None:
    ts = np.array([5, 5, 7, 5, 7, 9], dtype=np.int64)
    assert tick_seq(ts).tolist() == [0, 1, 0, 2, 1, 0]
