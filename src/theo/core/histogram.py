"""A fixed-bucket histogram cheap enough for a hot path: one ``bisect`` and two additions per observation.

Used for the order journal's write latency and the live bar lag; the engine run puts :meth:`Histogram.snapshot`
into its counters at each heartbeat and ``GET /metrics`` exports it as a Prometheus histogram, so the process
that observes and the one that serves the metrics need not be the same.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import Any

#: Seconds: 100 µs (a SQLite commit in WAL mode) ... 2.5 s (a PostgreSQL server in trouble).
WRITE_SECONDS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
#: Seconds from a bar's end to its publication: the aggregator waits ``lateness_seconds`` (2 s) for late prints.
LAG_SECONDS = (0.1, 0.25, 0.5, 1.0, 2.0, 2.5, 3.0, 5.0, 10.0, 30.0, 60.0, 300.0)


class Histogram:
    """Counts per bucket ``value <= bound`` (Prometheus's ``le``), the rest in ``+Inf``; the sum and count."""

    __slots__ = ("bounds", "counts", "sum")

    def __init__(self, bounds: Sequence[float]) -> None:
        if list(bounds) != sorted(set(bounds)):
            raise ValueError(f"histogram bounds must increase strictly: {list(bounds)}")
        self.bounds = tuple(float(b) for b in bounds)
        self.counts = [0] * (len(self.bounds) + 1)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1
        self.sum += value

    @property
    def count(self) -> int:
        return sum(self.counts)

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready: the bounds, cumulative counts at or below each bound then the total, the sum."""
        cumulative, running = [], 0
        for n in self.counts:
            running += n
            cumulative.append(running)
        return {"bounds": list(self.bounds), "buckets": cumulative, "sum": self.sum}
