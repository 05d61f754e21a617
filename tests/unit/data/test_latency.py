from __future__ import annotations

from datetime import datetime, timedelta

from tests.unit.data.bars.helpers import et
from theo.core.clock import SimulatedClock
from theo.data.latency import LatencyMonitor

T0 = et(2013, 10, 7, 10, 0)


def test_percentiles_per_feed_and_symbol_over_the_window() -> None:
    mon = LatencyMonitor(window=timedelta(seconds=60))
    for i in range(100):  # 1..100 ms
        ts = T0 + timedelta(seconds=i * 0.1)
        mon.record("ibkr", "SPY", ts, ts + timedelta(milliseconds=i + 1))
    mon.record("polygon", "SPY", T0, T0 + timedelta(milliseconds=7))
    snap = mon.snapshot()
    s = snap[("ibkr", "SPY")]
    assert (s.count, s.max) == (100, 100.0)
    assert s.p50 == 50.5
    assert abs(s.p99 - 99.01) < 1e-9
    assert snap[("polygon", "SPY")].p95 == 7.0


def test_old_samples_leave_the_window() -> None:
    mon = LatencyMonitor(window=timedelta(seconds=10))
    mon.record("f", "X", T0, T0 + timedelta(milliseconds=500))
    later = T0 + timedelta(seconds=30)
    mon.record("f", "X", later, later + timedelta(milliseconds=2))
    s = mon.snapshot()[("f", "X")]
    assert (s.count, s.max) == (1, 2.0)


def test_periodic_logging_runs_on_the_clock() -> None:
    clock = SimulatedClock(T0)
    mon = LatencyMonitor()
    calls: list[datetime] = []
    mon.start_logging(clock, timedelta(seconds=60), sink=calls.append)
    clock.advance_to(T0 + timedelta(minutes=3, seconds=1))
    assert calls == [T0 + timedelta(minutes=m) for m in (1, 2, 3)]
    mon.stop_logging(clock)
    clock.advance_to(T0 + timedelta(minutes=10))
    assert len(calls) == 3


def test_histogram_counts_every_sample_since_the_start_cumulatively() -> None:
    from theo.data.latency import BUCKETS_MS

    mon = LatencyMonitor(window=timedelta(seconds=10))
    for ms in (0.5, 1.0, 3.0, 40.0, 20000.0):
        mon.record("ibkr", "SPY", T0, T0 + timedelta(milliseconds=ms))
    later = T0 + timedelta(minutes=5)  # evicts the window's samples, not the histogram's
    mon.record("ibkr", "SPY", later, later + timedelta(milliseconds=7))
    counts, total = mon.histogram()[("ibkr", "SPY")]
    by_bound = dict(zip((*BUCKETS_MS, float("inf")), counts, strict=True))
    assert (by_bound[1.0], by_bound[2.5], by_bound[5.0], by_bound[10.0], by_bound[50.0]) == (2, 2, 3, 4, 5)
    assert by_bound[10000.0] == 5
    assert by_bound[float("inf")] == 6
    assert total == 0.5 + 1.0 + 3.0 + 40.0 + 20000.0 + 7.0
