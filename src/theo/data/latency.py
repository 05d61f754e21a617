"""Feed latency: exchange timestamp vs arrival time per feed and symbol over a rolling time window."""

from __future__ import annotations

from bisect import bisect_left
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import structlog

from theo.core.clock import Clock
from theo.core.time import to_us

log = structlog.get_logger(__name__)

#: Upper bounds (milliseconds) of the cumulative latency histogram (:meth:`LatencyMonitor.histogram`).
BUCKETS_MS = (1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0)


@dataclass(frozen=True, slots=True)
class LatencyStats:
    """Latency percentiles in milliseconds over the window (negative = exchange clock ahead of ours)."""

    p50: float
    p95: float
    p99: float
    max: float
    count: int


class _Series:
    """One (feed, symbol): the window's samples, and since the start the count per bucket and the sum."""

    __slots__ = ("buf", "counts", "total")

    def __init__(self, max_samples: int) -> None:
        self.buf: deque[tuple[int, float]] = deque(maxlen=max_samples)
        self.counts = [0] * (len(BUCKETS_MS) + 1)  # the last one above every bound
        self.total = 0.0


class LatencyMonitor:
    """Record ``received - exchange_ts`` per (feed, symbol); :meth:`snapshot` gives rolling percentiles.

    ``record`` is O(1) amortised (samples older than the window are evicted as new ones arrive) and costs one
    dictionary lookup, so it can sit on the tick path. :meth:`start_logging` logs a snapshot every interval on
    the given clock.
    """

    def __init__(self, window: timedelta = timedelta(minutes=5), max_samples: int = 100_000) -> None:
        self.window_us = int(window.total_seconds() * 1_000_000)
        self.max_samples = max_samples
        self._series: dict[tuple[str, str], _Series] = {}
        self._timer: int | None = None

    def record(self, feed: str, symbol: str, exchange_ts: datetime, received: datetime) -> None:
        series = self._series.get((feed, symbol))
        if series is None:
            series = self._series[(feed, symbol)] = _Series(self.max_samples)
        d = received - exchange_ts
        ms = (d.days * 86_400_000_000 + d.seconds * 1_000_000 + d.microseconds) / 1000.0
        recv_us = to_us(received)
        buf = series.buf
        buf.append((recv_us, ms))
        series.counts[bisect_left(BUCKETS_MS, ms)] += 1
        series.total += ms
        cut = recv_us - self.window_us
        while buf[0][0] < cut:
            buf.popleft()

    def snapshot(self, now: datetime | None = None) -> dict[tuple[str, str], LatencyStats]:
        """Percentiles per (feed, symbol) over the window ending at ``now`` (default: the newest sample)."""
        out: dict[tuple[str, str], LatencyStats] = {}
        for key, series in self._series.items():
            buf = series.buf
            if not buf:
                continue
            cut = (to_us(now) if now is not None else buf[-1][0]) - self.window_us
            vals = np.array([v for t, v in buf if t >= cut], dtype=float)
            if len(vals) == 0:
                continue
            p50, p95, p99 = np.percentile(vals, [50, 95, 99])
            out[key] = LatencyStats(float(p50), float(p95), float(p99), float(vals.max()), len(vals))
        return out

    def histogram(self) -> dict[tuple[str, str], tuple[list[int], float]]:
        """Per (feed, symbol) since the start: cumulative counts at or below each of :data:`BUCKETS_MS` then the
        total (Prometheus's ``+Inf``), and the sum of the latencies in milliseconds."""
        out = {}
        for key, series in self._series.items():
            cumulative, running = [], 0
            for n in series.counts:
                running += n
                cumulative.append(running)
            out[key] = (cumulative, series.total)
        return out

    def log_snapshot(self, now: datetime | None = None) -> None:
        for (feed, symbol), s in sorted(self.snapshot(now).items()):
            log.info("feed latency", feed=feed, symbol=symbol, p50_ms=round(s.p50, 3), p95_ms=round(s.p95, 3),
                     p99_ms=round(s.p99, 3), max_ms=round(s.max, 3), count=s.count)

    def start_logging(self, clock: Clock, every: timedelta,
                      sink: Callable[[datetime], None] | None = None) -> None:
        """Log a snapshot every ``every`` on ``clock`` (``sink`` replaces the log call, for tests)."""
        def tick(when: datetime) -> None:
            (sink or self.log_snapshot)(when)
            self._timer = clock.call_at(when + every, tick)

        self._timer = clock.call_at(clock.now() + every, tick)

    def stop_logging(self, clock: Clock) -> None:
        if self._timer is not None:
            clock.cancel(self._timer)
            self._timer = None
