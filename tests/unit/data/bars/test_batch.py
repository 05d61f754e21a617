"""The vectorised aggregation equals the streaming one bar for bar."""

from __future__ import annotations

import itertools
from datetime import timedelta

import numpy as np

from tests.unit.data.bars.helpers import et
from theo.core.calendar import get_calendar
from theo.core.clock import SimulatedClock
from theo.core.time import from_us, to_us
from theo.data.bars.aggregator import BarAggregator
from theo.data.bars.batch import aggregate_arrays, group_sums, resample_bars
from theo.model.market import Bar, Tick

CAL = get_calendar()


def _random_ticks(n: int = 4000, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lo = to_us(et(2013, 10, 7, 8, 50))
    ts = np.sort(lo + rng.integers(0, 8 * 3600 * 1_000_000, n)).astype(np.int64)
    price = np.round(100 + np.cumsum(rng.normal(0, 0.02, n)), 2)
    size = rng.integers(1, 500, n).astype(float)
    counts = rng.random(n) < 0.8
    return ts, price, size, counts


def _stream(ts: np.ndarray, price: np.ndarray, size: np.ndarray, counts: np.ndarray, tfs: list[str]) -> list[Bar]:
    out: list[Bar] = []
    agg = BarAggregator(tfs, lambda _s: CAL, None, SimulatedClock(), timedelta(seconds=1), on_bar=out.append)
    for t, p, s, c in zip(ts.tolist(), price.tolist(), size.tolist(), counts.tolist(), strict=True):
        agg.on_tick(Tick("X", from_us(t), p, s, "t", "", "1" if c else "9"))
    agg.flush()
    return [b for b in out if b.tick_count > 0]


def _key(b: Bar) -> tuple[object, ...]:
    return (b.start, b.end, b.open, b.high, b.low, b.close, b.volume, b.tick_count, b.session, b.flags)


def test_batch_equals_streaming_for_every_timeframe() -> None:
    ts, price, size, counts = _random_ticks()
    streamed = _stream(ts, price, size, counts, ["1m", "5m", "60m", "1d"])
    assert streamed, "the sample must produce bars"
    for tf in ("1m", "5m", "60m", "1d"):
        batch = aggregate_arrays("X", ts, price, size, counts, tf, CAL).to_bars("t")
        assert [_key(b) for b in batch] == [_key(b) for b in streamed if b.timeframe == tf], tf
    assert any(b.flags for b in streamed), "the sample should exercise no_regular_prints"


def test_resample_of_minute_bars_equals_direct_aggregation() -> None:
    ts, price, size, counts = _random_ticks(seed=11)
    minutes = aggregate_arrays("X", ts, price, size, counts, "1m", CAL)
    for tf in ("5m", "30m", "90m"):
        direct = aggregate_arrays("X", ts, price, size, counts, tf, CAL).to_bars()
        from_arrays = resample_bars(minutes, tf, CAL).to_bars()
        from_list = resample_bars(minutes.to_bars(), tf, CAL).to_bars()
        assert [_key(b) for b in from_arrays] == [_key(b) for b in direct]
        assert [_key(b) for b in from_list] == [_key(b) for b in direct]


def test_unsorted_input_is_sorted_stably_and_ticks_outside_sessions_are_left_out() -> None:
    ts, price, size, counts = _random_ticks(200, seed=5)
    perm = np.random.default_rng(1).permutation(len(ts))
    a = aggregate_arrays("X", ts, price, size, counts, "1m", CAL)
    b = aggregate_arrays("X", ts[perm], price[perm], size[perm], counts[perm], "1m", CAL)
    assert np.array_equal(a.start_us, b.start_us)
    assert np.array_equal(a.volume, b.volume)
    night = np.array([to_us(et(2013, 10, 7, 22, 0))], dtype=np.int64)
    assert len(aggregate_arrays("X", night, np.array([1.0]), np.array([1.0]), np.array([True]), "1m", CAL)) == 0


def test_group_sums_add_left_to_right_as_the_streaming_accumulators_do() -> None:
    rng = np.random.default_rng(7)
    values = rng.random(3000) * 1000  # fractional: pairwise and sequential sums round differently
    values[5] = -0.0
    first = np.array([0, 5, 6, 40, 41, 2000], dtype=np.int64)  # groups of 5, 1, 34, 1, 1959 and 1000 items

    def sequential(a: np.ndarray) -> float:
        s = 0.0
        for x in a.tolist():
            s += x
        return s

    bounds = [*first.tolist(), len(values)]
    expected = [sequential(values[a:b]) for a, b in itertools.pairwise(bounds)]
    assert group_sums(values, first).tolist() == expected
    assert np.add.reduceat(values, first).tolist() != expected  # why group_sums exists
    whole = np.floor(values)
    assert group_sums(whole, first).tolist() == [sequential(whole[a:b]) for a, b in itertools.pairwise(bounds)]
    assert str(group_sums(np.array([-0.0]), np.array([0]))[0]) == "0.0"
