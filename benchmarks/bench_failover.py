"""Fail-over time and latency-monitor cost on the live market-data path.

1. **Fail-over time**: 100 forced fail-overs on the default ``[feeds]`` settings (stale after 5 s, a look
   every 0.25 s). A :class:`~theo.data.supervisor.FeedSupervisor` runs in real time (``run`` on the event
   loop, wall clock) over two in-process push feeds, in front of the live run's pipeline (quality gate,
   latency monitor, bar aggregator, recorder into a SQLite store). 100 symbols get a print from both feeds
   every 50 ms; the primary falls silent for one symbol after another, 50 ms apart (so the silences start at every phase
   of the supervisor's look), and each symbol's figure runs from the arrival of the primary's last print to
   the first secondary print that has passed the gate into the recorder (which writes to the database in
   batches; their cost is in the ingest benchmarks). The feeds are in-process so that the figure is the
   supervisor's, not a socket's.
2. **Latency-monitor overhead per tick**: the pipeline's ``on_tick`` on 200,000 prints with an arrival time
   (measured by the monitor) against the same prints without one (the monitor skips them), best of 5,
   wall and CPU; and ``LatencyMonitor.record`` alone.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.integration.ibkr.live import ShiftedClock

from benchmarks.common import Result, Section
from theo.config import TheoConfig
from theo.core.bus.memory import InMemoryBus
from theo.core.calendar import get_calendar
from theo.data.failover.config import FeedsConfig
from theo.data.feeds.base import EventHandler, Feed, MarketEvent
from theo.data.latency import LatencyMonitor
from theo.data.pipeline import MarketDataPipeline
from theo.data.supervisor import FeedSupervisor
from theo.model.market import Tick
from theo.persistence.db import make_engine, upgrade
from theo.persistence.repositories.market_data import MarketDataRepository

SYMBOLS = [f"S{k:03d}" for k in range(100)]
PERIOD = 0.05  # seconds between two prints of a symbol from a feed
#: Thursday 2026-12-03 10:00 ET: the clock is shifted into a session whatever the time the benchmark runs.
SESSION = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


class PushFeed(Feed):
    """An in-process real-time feed: :meth:`push` delivers at once to the running handler."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.handler: EventHandler | None = None

    def events(self) -> Iterator[MarketEvent]:
        return iter(())

    def push(self, tick: Tick) -> None:
        if self.handler is not None:
            self._seen(tick)
            self.handler(tick)

    async def run(self, handler: EventHandler, stop: asyncio.Event) -> None:
        self.handler = handler
        await stop.wait()
        self.handler = None


async def _failovers(store: Path) -> tuple[list[float], float, float, FeedsConfig, int]:
    clock = ShiftedClock(SESSION - datetime.now(UTC))
    cal = get_calendar()
    config = TheoConfig()
    feeds = FeedsConfig(secondary="polygon")  # the defaults otherwise
    bus = InMemoryBus()
    engine = make_engine(f"sqlite:///{store}")
    upgrade(engine)
    repo = MarketDataRepository(engine)
    pipeline = MarketDataPipeline(config.marketdata, clock, bus, lambda _s: cal, repo)
    primary, secondary = PushFeed("ibkr"), PushFeed("polygon")
    sup = FeedSupervisor(primary, secondary, feeds, lambda _s: cal, bus=bus, latency=pipeline.latency, now=clock.now)
    sup.subscribe(SYMBOLS)
    last_primary: dict[str, float] = {}
    first_secondary: dict[str, float] = {}
    silenced: set[str] = set()

    def handler(event: MarketEvent) -> None:
        pipeline.on_event(event)
        if isinstance(event, Tick) and event.source == "polygon" and event.symbol not in first_secondary:
            first_secondary[event.symbol] = time.perf_counter()

    stop = asyncio.Event()
    task = asyncio.ensure_future(sup.run(handler, stop))
    await asyncio.sleep(0.05)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    k = 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    while len(first_secondary) < len(SYMBOLS) and loop.time() - t0 < 60:
        elapsed = loop.time() - t0
        now = clock.now()
        for i, symbol in enumerate(SYMBOLS):
            price = 100.0 + (k % 50) * 0.01
            if elapsed < 1.0 + i * PERIOD:
                primary.push(Tick(symbol, now, price, 100, "ibkr", "", "", now, f"i{k}"))
                last_primary[symbol] = time.perf_counter()
            else:
                silenced.add(symbol)
            secondary.push(Tick(symbol, now, price, 100, "polygon", "", "", now, f"p{k}"))
        k += 1
        await asyncio.sleep(PERIOD)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    stop.set()
    await task
    pipeline.stop()  # the recorder writes what it holds
    stored = sum(repo.count_ticks(s) for s in SYMBOLS)
    engine.dispose()
    missing = [s for s in SYMBOLS if s not in first_secondary]
    if missing:
        raise RuntimeError(f"no fail-over for {len(missing)} symbols within 60 s: {missing[:5]}")
    return [first_secondary[s] - last_primary[s] for s in SYMBOLS], cpu, wall, feeds, stored


def _ticks(n: int, measured: bool) -> list[Tick]:
    t0 = SESSION
    out = []
    for i in range(n):
        ts = t0 + timedelta(microseconds=i * 1000)
        out.append(Tick(("SPY", "QQQ", "IWM", "AAPL")[i % 4], ts, 100.0 + (i % 97) * 0.01, 100.0, "ibkr", "", "",
                        ts + timedelta(milliseconds=3) if measured else None, str(i)))
    return out


def _pipeline_pass(ticks: list[Tick]) -> tuple[float, float]:
    cal = get_calendar()
    config = TheoConfig()
    clock = ShiftedClock(timedelta(0))
    md = config.marketdata.model_copy(update={"gate": config.marketdata.gate.model_copy(
        update={"max_clock_skew_seconds": None})})
    pipeline = MarketDataPipeline(md, clock, InMemoryBus(), lambda _s: cal)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for t in ticks:
        pipeline.on_tick(t)
    return time.perf_counter() - wall0, time.process_time() - cpu0


def _overhead(n: int) -> tuple[float, float, float, float, float, float]:
    with_, without = _ticks(n, True), _ticks(n, False)
    best = {True: (float("inf"), float("inf")), False: (float("inf"), float("inf"))}
    for _ in range(5):
        for measured, ticks in ((True, with_), (False, without)):
            wall, cpu = _pipeline_pass(ticks)
            best[measured] = (min(best[measured][0], wall), min(best[measured][1], cpu))
    mon = LatencyMonitor()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for t in with_:
        assert t.received is not None
        mon.record(t.source, t.symbol, t.ts, t.received)
    record_wall, record_cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    ns = 1e9 / n
    return (best[True][0] * ns, best[False][0] * ns, best[True][1] * ns, best[False][1] * ns, record_wall * ns,
            record_cpu * ns)


def run() -> Section:
    section = Section("Fail-over (feed supervisor) and latency-monitor overhead", "make bench BENCH=failover")
    with tempfile.TemporaryDirectory() as tmp:
        times, cpu, wall, feeds, stored = asyncio.run(_failovers(Path(tmp) / "theo.db"))
    ms = sorted(t * 1000 for t in times)
    p50 = statistics.median(ms)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    stale = feeds.stale_after_seconds * 1000
    section.results += [
        Result("fail-over time, last primary print -> first secondary print through the gate into the recorder, "
               "p50", p50, "ms", note=f"100 forced fail-overs; min {ms[0]:.0f} ms, max {ms[-1]:.0f} ms; "
                                     f"{stored:,} ticks written to SQLite at the end"),
        Result("fail-over time, p99", p99, "ms"),
        Result("fail-over time beyond stale_after_seconds (the supervisor's own part), p50", p50 - stale, "ms",
               note=f"stale_after_seconds = {feeds.stale_after_seconds:g}, a look every "
                    f"{feeds.check_every_seconds:g} s"),
        Result("CPU of the benchmark process during the fail-overs", cpu / wall * 100, "% of one core",
               note=f"{cpu:.2f} s CPU over {wall:.1f} s wall: 100 symbols x 2 feeds x 20 prints/s through "
                    f"the supervisor and the pipeline"),
    ]
    n = int(os.environ.get("THEO_BENCH_FAILOVER_TICKS", "200000"))
    w_with, w_without, c_with, c_without, record, record_cpu = _overhead(n)
    section.results += [
        Result("pipeline on_tick with the latency monitor (wall)", w_with, "ns/tick",
               note=f"CPU {c_with:.0f} ns/tick; gate, latency, bus, bars"),
        Result("pipeline on_tick without it (wall)", w_without, "ns/tick", note=f"CPU {c_without:.0f} ns/tick"),
        Result("latency-monitor overhead per tick (wall, with - without)", w_with - w_without, "ns/tick",
               note=f"CPU {c_with - c_without:.0f} ns/tick"),
        Result("LatencyMonitor.record alone (wall)", record, "ns/tick", note=f"CPU {record_cpu:.0f} ns/tick"),
    ]
    section.notes += [
        "Fail-over: default [feeds] settings (secondary set, everything else default); the clock is shifted into a "
        "regular session. Both feeds are in-process push feeds on the event loop, so the figure is the "
        "supervisor's detection, switch and seam plus the pipeline; with real feeds add their own delivery. "
        "The p50 is dominated by stale_after_seconds by design: a silence shorter than that is not an outage.",
        f"Overhead: {n:,} prints over 4 symbols, 1 ms apart, through MarketDataPipeline.on_tick (no recorder), "
        "best of 5 passes each; 'without' gives the same prints no arrival time, which the pipeline does not "
        "measure. Wall and CPU (process time) per tick.",
    ]
    return section
