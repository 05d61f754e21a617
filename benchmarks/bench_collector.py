"""`theo collect` throughput: ticks/s from a feed into the store through the whole collector path, against the
raw writer (the recorder alone) on the same ticks in the same run, on SQLite and, when reachable, PostgreSQL.

Both sides take the same pre-built ``Tick`` objects of the seeded synthetic market (SPY and QQQ), so neither
pays for generating or parsing them:

* raw writer: ``Recorder(MarketDataRepository(engine))``, ``on_tick`` for each tick, then ``flush``: batched
  writes (``COPY`` on PostgreSQL), nothing else;
* collector: ``Collector.run`` with its defaults (``[collector]`` batch 10,000, flush every second) on a feed
  that delivers the ticks flat out: feed handler, quality gate, ``ticks.<SYM>`` on the bus, latency monitor,
  bar aggregator (5 timeframes) and bars on the bus, the recorder through the spooling store, until every tick
  is in the database.

Each measurement starts on an empty, migrated store. Wall time and this process's CPU time (all threads) are
given; the database server's own CPU (PostgreSQL) is not in the CPU figure. A third figure is the spool's
append rate (what the collector sustains while the database is out): batches of 10,000 ticks encoded, written
and ``fsync``'d.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, text

from benchmarks.common import Result, Section
from benchmarks.scratch_pg import scratch_databases
from theo.adapters.sim.synthetic import SyntheticMarket
from theo.config import TheoConfig
from theo.core.bus.memory import InMemoryBus
from theo.core.clock import SimulatedClock
from theo.core.time import to_us
from theo.data.config import SyntheticConfig
from theo.data.feeds.base import EventHandler, Feed, MarketEvent
from theo.data.feeds.pacing import paced
from theo.data.files import TickColumns
from theo.data.recorder import Recorder
from theo.data.spool import Spool
from theo.data.spool_records import RecordKind, encode_ticks
from theo.model.market import Tick
from theo.node.services.collector import Collector
from theo.persistence.db import make_engine, upgrade
from theo.persistence.repositories.market_data import MarketDataRepository

TICKS = int(os.environ.get("THEO_BENCH_COLLECTOR_TICKS", "300000"))


class ListFeed(Feed):
    """Deliver a list of ticks flat out (the collector's feed in this benchmark)."""

    def __init__(self, ticks: list[Tick]) -> None:
        super().__init__("synthetic")
        self.ticks = ticks

    def events(self) -> Iterator[MarketEvent]:
        yield from self.ticks

    async def run(self, handler: EventHandler, stop: asyncio.Event) -> None:
        await paced(self.events(), handler, stop, None)


def _ticks(config: TheoConfig) -> list[Tick]:
    market = SyntheticMarket(SyntheticConfig(ticks_per_minute=2000), SimulatedClock(config.engine.synthetic_start))
    return [ev for ev in islice(market.events(), TICKS) if isinstance(ev, Tick)]


def _timed(fn: Callable[[], Any]) -> tuple[float, float]:
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def _stored(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM ticks")).scalar_one())


def _measure(section: Section, label: str, fresh: Callable[[str], Engine], config: TheoConfig,
             ticks: list[Tick]) -> None:
    raw_engine = fresh("raw")

    def raw() -> None:
        recorder = Recorder(MarketDataRepository(raw_engine), hold=timedelta(seconds=2))
        for t in ticks:
            recorder.on_tick(t)
        recorder.flush()

    raw_wall, raw_cpu = _timed(raw)
    assert _stored(raw_engine) == len(ticks)
    raw_engine.dispose()
    col_engine = fresh("collector")
    collector = Collector(config, col_engine, ListFeed(ticks), InMemoryBus(),
                          clock=SimulatedClock(config.engine.synthetic_start))
    col_wall, col_cpu = _timed(lambda: asyncio.run(collector.run(asyncio.Event())))
    assert _stored(col_engine) == len(ticks), "the collector must store every tick"
    col_engine.dispose()
    n = len(ticks)
    section.results += [
        Result(f"raw writer (recorder alone), {label}", n / raw_wall, "ticks/s",
               note=f"wall {raw_wall:.2f} s, CPU {raw_cpu:.2f} s"),
        Result(f"collector (gate, bus, latency, bars, recorder via spooling store), {label}", n / col_wall,
               "ticks/s", note=f"wall {col_wall:.2f} s, CPU {col_cpu:.2f} s"),
        Result(f"collector / raw writer, {label} (wall time)", raw_wall / col_wall, "x",
               note=f"CPU ratio {raw_cpu / col_cpu:.2f}"),
    ]


def _sqlite(section: Section, tmp: Path, config: TheoConfig, ticks: list[Tick]) -> None:
    def fresh(name: str) -> Engine:
        engine = make_engine(f"sqlite:///{tmp / name / 'theo.db'}")
        upgrade(engine)
        return engine

    _measure(section, "SQLite", fresh, config, ticks)


def _postgres(section: Section, config: TheoConfig, ticks: list[Tick]) -> None:
    with scratch_databases() as dbs:
        if dbs.unreachable:
            section.notes.append(f"{dbs.unreachable}; not measured")
            return

        def fresh(_name: str) -> Engine:
            engine = make_engine(dbs.create())
            upgrade(engine)
            return engine

        _measure(section, "PostgreSQL", fresh, config, ticks)


def _spool(section: Section, tmp: Path, ticks: list[Tick]) -> None:
    spy = [t for t in ticks if t.symbol == "SPY"]
    batches = []
    for lo in range(0, len(spy), 10_000):
        part = spy[lo:lo + 10_000]
        n = len(part)
        batches.append(TickColumns("SPY", np.array([to_us(t.ts) for t in part], dtype=np.int64),
                                   np.array([t.price for t in part]), np.array([t.size for t in part]),
                                   np.array([t.exchange for t in part], dtype=object),
                                   np.array([t.condition for t in part], dtype=object), np.zeros(n, bool),
                                   np.zeros(n, np.int64)))
    spool = Spool(tmp / "bench.spool")
    spool.open()

    def append() -> None:
        for cols in batches:
            spool.append(RecordKind.TICKS, encode_ticks(cols, "synthetic"))

    wall, cpu = _timed(append)
    spool.close()
    section.results.append(Result("spool append while the database is out (encode, write, fsync per 10,000 ticks)",
                                  len(spy) / wall, "ticks/s", note=f"wall {wall:.2f} s, CPU {cpu:.2f} s"))


def run() -> Section:
    section = Section("Collector (theo collect) against the raw writer", "python -m benchmarks collector")
    with tempfile.TemporaryDirectory() as tmp:
        config = TheoConfig.model_validate({"app": {"data_dir": str(Path(tmp) / "var")}})
        ticks = _ticks(config)
        _sqlite(section, Path(tmp), config, ticks)
        _postgres(section, config, ticks)
        _spool(section, Path(tmp), ticks)
    section.notes.append(f"{len(ticks):,} synthetic ticks (SPY and QQQ, seeded), the same objects for both sides; "
                         "ratio > 1 would mean the collector is faster; CPU is this process's (all threads), not "
                         "the PostgreSQL server's")
    return section
