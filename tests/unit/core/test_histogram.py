"""The fixed-bucket histogram behind the journal write latency and bar lag metrics."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from theo.core.histogram import WRITE_SECONDS, Histogram


def test_histogram_buckets_are_prometheus_le_and_cumulative() -> None:
    h = Histogram((0.001, 0.01, 0.1))
    for v in (0.0005, 0.001, 0.002, 0.5, 0.05):
        h.observe(v)
    assert h.snapshot() == {"bounds": [0.001, 0.01, 0.1], "buckets": [2, 3, 4, 5], "sum": pytest.approx(0.5535)}
    with pytest.raises(ValueError, match="must increase strictly"):
        Histogram((0.1, 0.1))


@given(st.lists(st.floats(min_value=0, max_value=1000, allow_nan=False), max_size=50))
def test_histogram_counts_each_value_once_in_the_first_bucket_that_holds_it(values: list[float]) -> None:
    h = Histogram(WRITE_SECONDS)
    for v in values:
        h.observe(v)
    snap = h.snapshot()
    assert snap["buckets"][-1] == len(values)
    assert snap["buckets"] == sorted(snap["buckets"])
    for bound, cumulative in zip(WRITE_SECONDS, snap["buckets"], strict=False):
        assert cumulative == sum(1 for v in values if v <= bound)
    assert snap["sum"] == pytest.approx(sum(values))
