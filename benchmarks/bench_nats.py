"""The NATS JetStream bus (``[bus] kind = "nats"``): throughput publish → consume between two processes, and
the tick → order latency across processes (collector → NATS → trader service → NATS) against the same path
in one process (``theo run``'s in-process bus).

Needs the NATS server on 127.0.0.1:4222 (``nats-server -js``) and PostgreSQL on 127.0.0.1:5432 (the trader
service's store); a part that cannot run is noted, not measured.

* Throughput: this process publishes ``THEO_BENCH_NATS_MESSAGES`` ticks (default 50,000) through
  :class:`~theo.core.bus.nats.NatsBus` (encode, queue, JetStream publish with acknowledgement); a second
  process consumes them from a pull consumer with explicit acks (decode, ack). The figure is messages over the
  wall time from the first publish to the last message consumed; CPU seconds of each process beside it.
* Latency: the seeded synthetic market's SPY/QQQ ticks of one session (``ts,price,size`` files) with two
  strategies (the services' integration test's). In one process: ``PaperRun`` on the files, time from the
  item entering the node to the order's first event on the node's bus. Across processes: this process publishes
  the same ticks (one every ``THEO_BENCH_NATS_GAP_MS``, default 1 ms, so the figure is not a queue), a
  ``theo service run trader`` subprocess trades them, and this process receives its ``orders.*`` events; the
  latency of an order is its first event's arrival minus the publish time of the tick that triggered it (the
  first tick at or after the order's creation time).
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, Result, Section
from benchmarks.scratch_pg import scratch_databases

NATS_URL = os.environ.get("THEO_TEST_NATS_URL", "nats://127.0.0.1:4222")
MESSAGES = int(os.environ.get("THEO_BENCH_NATS_MESSAGES", "50000"))
GAP_S = float(os.environ.get("THEO_BENCH_NATS_GAP_MS", "1.0")) / 1000
T0 = datetime(2026, 1, 6, 14, 30, tzinfo=UTC)


def _consumer(prefix: str, n: int, out: Any) -> None:
    from theo.core.bus.nats import NatsBus

    bus = NatsBus(NATS_URL, prefix=prefix).start()
    c = bus.consume("ticks.>", deliver="all")
    out.send("ready")
    cpu0 = time.process_time()
    got = 0
    while got < n:
        d = c.next(30)
        if d is None:
            break
        c.ack(d)
        got += 1
    out.send((got, time.time(), time.process_time() - cpu0))
    bus.close()


def _receiver(prefix: str, n: int, out: Any) -> None:
    from theo.core.bus.nats import NatsBus

    bus = NatsBus(NATS_URL, prefix=prefix).start()
    c = bus.consume("hop", deliver="all")
    out.send("ready")
    lags: list[float] = []
    while len(lags) < n:
        d = c.next(30)
        if d is None:
            break
        lags.append(time.time() - d.message["sent"])
        c.ack(d)
    out.send(lags)
    bus.close()


def _hop(section: Section, n: int = 2000) -> None:
    """One message every 2 ms, publish() call to decoded in the other process (same machine clock)."""
    from theo.core.bus.nats import NatsBus

    prefix = f"bench{uuid.uuid4().hex[:8]}"
    bus = NatsBus(NATS_URL, prefix=prefix).start()
    mine, theirs = mp.Pipe()
    proc = mp.get_context("spawn").Process(target=_receiver, args=(prefix, n, theirs))
    proc.start()
    try:
        assert mine.poll(60)
        assert mine.recv() == "ready"
        for i in range(n):
            bus.publish("hop", {"i": i, "sent": time.time()}, msg_id=f"h{i}")
            time.sleep(0.002)
        bus.flush(30)
        assert mine.poll(60)
        lags: list[float] = mine.recv()
        assert len(lags) == n
        section.results += [
            Result("one hop: publish() → decoded in another process, p50", _pct(lags, 0.5) * 1e3, "ms",
                   note=f"{n:,} messages, one every 2 ms"),
            Result("one hop, p99", _pct(lags, 0.99) * 1e3, "ms"),
        ]
    finally:
        proc.join(30)
        bus._call(bus._js.delete_stream(bus.stream), 5)
        bus.close()


def _throughput(section: Section) -> None:
    from theo.core.bus.nats import NatsBus
    from theo.model.market import Tick

    prefix = f"bench{uuid.uuid4().hex[:8]}"
    bus = NatsBus(NATS_URL, prefix=prefix).start()
    ticks = [Tick("SPY", T0 + timedelta(microseconds=i), 400.0 + (i % 1000) / 100, 100.0, "bench")
             for i in range(MESSAGES)]
    mine, theirs = mp.Pipe()
    proc = mp.get_context("spawn").Process(target=_consumer, args=(prefix, MESSAGES, theirs))
    proc.start()
    try:
        assert mine.poll(60)
        assert mine.recv() == "ready"
        cpu0, t0 = time.process_time(), time.time()
        for i, tick in enumerate(ticks):
            bus.publish("ticks.SPY", tick, msg_id=f"b{i}")
        queued = time.time() - t0
        bus.flush(120)
        stored, cpu = time.time() - t0, time.process_time() - cpu0
        assert mine.poll(180)
        got, last, consumer_cpu = mine.recv()
        total = last - t0
        assert got == MESSAGES, f"consumed {got} of {MESSAGES}"
        section.results += [
            Result("publish → stored (encode, queue, JetStream publish + ack)", MESSAGES / stored, "msg/s",
                   note=f"{stored:.2f} s wall, publisher CPU {cpu:.2f} s; publish() calls return after "
                        f"{queued:.2f} s"),
            Result("publish → consumed in another process (decode, explicit ack)", MESSAGES / total, "msg/s",
                   note=f"{total:.2f} s wall, consumer CPU {consumer_cpu:.2f} s"),
        ]
    finally:
        proc.join(30)
        bus._call(bus._js.delete_stream(bus.stream), 5)
        bus.close()


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def _in_process(folder: Path, url: str, files: list[Path]) -> list[float]:
    from tests.integration.services import kit

    from theo.config.loader import load_config
    from theo.node.paper import PaperRun
    from theo.persistence.repositories import connect
    from theo.persistence.repositories.schema import SchemaRepository

    cfg = load_config(kit.write_config(folder, url, "unused", files))
    store = connect(url)
    SchemaRepository(store).upgrade()
    run = PaperRun(cfg, store, speed=None)
    started = [0.0]
    seen: set[str] = set()
    latencies: list[float] = []
    feed = run._feed

    def timed(item: Any) -> None:
        started[0] = time.perf_counter()
        feed(item)

    def on_order(_topic: str, order: Any) -> None:
        if order.client_order_id not in seen:
            seen.add(order.client_order_id)
            latencies.append(time.perf_counter() - started[0])

    run._feed = timed  # type: ignore[method-assign]
    run.node.bus.subscribe("orders.>", on_order)
    asyncio.run(run.run())
    store.dispose()
    return latencies


def _across(folder: Path, url: str, files: list[Path]) -> tuple[list[float], int]:
    from tests.integration.services import kit

    from theo.config.loader import load_config
    from theo.core.bus.nats import NatsBus
    from theo.core.time import from_us, to_us
    from theo.node.gate import EngineGate
    from theo.node.services.ingest import ENDED, replay_ticks
    from theo.persistence.repositories import connect
    from theo.persistence.repositories.schema import SchemaRepository

    prefix = f"bench{uuid.uuid4().hex[:8]}"
    config = kit.write_config(folder, url, prefix, files)
    cfg = load_config(config)
    store = connect(url)
    SchemaRepository(store).upgrade()
    store.dispose()
    bus = NatsBus(NATS_URL, prefix=prefix).start()
    sent: list[tuple[int, float]] = []  # (tick µs, publish time)
    first: dict[str, float] = {}
    created: dict[str, int] = {}
    lock = threading.Lock()

    def on_order(_topic: str, order: Any) -> None:
        with lock:
            if order.client_order_id not in first:
                first[order.client_order_id] = time.perf_counter()
                created[order.client_order_id] = to_us(order.created_at)

    bus.subscribe("orders.>", on_order)
    log = (folder / "trader.log").open("wb")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    trader = subprocess.Popen([sys.executable, "-m", "theo.cli.main", "service", "run", "trader", "--config",
                               str(config)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60  # the trader imports, connects, opens its run: then the clock starts
        while b"run.started" not in (folder / "trader.log").read_bytes() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        ticks = list(replay_ticks(list(cfg.engine.replay), EngineGate(cfg, from_us(0))))
        for i, tick in enumerate(ticks):
            us = to_us(tick.ts)
            bus.publish(f"ticks.{tick.symbol}", tick, msg_id=f"{i}")
            sent.append((us, time.perf_counter()))
            time.sleep(GAP_S)  # not a busy wait: on 2 cores it would take the trader's CPU
        bus.publish(ENDED, {"feed": "bench"})
        bus.flush(60)
        trader.wait(120)
    finally:
        if trader.poll() is None:
            trader.kill()
        time.sleep(1.0)
        bus._call(bus._js.delete_stream(bus.stream), 5)
        bus.close()
    import bisect

    times = [us for us, _ in sent]
    latencies = []
    for cid, at in first.items():
        k = bisect.bisect_left(times, created[cid])
        if k < len(sent):
            latencies.append(at - sent[k][1])
    return latencies, len(ticks)


def _latency(section: Section, tmp: Path) -> None:
    from tests.integration.services import kit

    with scratch_databases() as dbs:
        if dbs.unreachable:
            section.notes.append(f"{dbs.unreachable}; tick → order latency not measured")
            return
        url_a, url_b = dbs.create(), dbs.create()
        files = kit.write_ticks(tmp)
        one = tmp / "one"
        one.mkdir()
        local = _in_process(one, url_a, files)
        two = tmp / "two"
        two.mkdir()
        remote, n = _across(two, url_b, files)
    section.results += [
        Result("tick → order, one process (in-process bus), p50", _pct(local, 0.5) * 1e3, "ms",
               note=f"{len(local)} orders"),
        Result("tick → order, one process, p99", _pct(local, 0.99) * 1e3, "ms"),
        Result("tick → order across processes (NATS → trader service → NATS), p50", _pct(remote, 0.5) * 1e3, "ms",
               note=f"{len(remote)} orders, {n:,} ticks one every {GAP_S * 1e3:g} ms"),
        Result("tick → order across processes, p99", _pct(remote, 0.99) * 1e3, "ms",
               note=f"mean {statistics.fmean(remote) * 1e3:.2f} ms"),
    ]


def run() -> Section:
    section = Section("NATS bus (services on NATS JetStream)", "python -m benchmarks nats")
    sys.path.insert(0, str(ROOT))  # the services' test kit writes the session's tick files and config
    import socket

    host, port = NATS_URL.split("//", 1)[1].rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=1.0).close()
    except OSError:
        section.notes.append(f"no NATS server at {NATS_URL} (nats-server -js); nothing measured")
        return section
    load = os.getloadavg()[0]
    _throughput(section)
    _hop(section)
    with tempfile.TemporaryDirectory() as tmp:
        _latency(section, Path(tmp))
    section.notes += [
        f"{MESSAGES:,} ticks of ~230 bytes on one subject; NATS server and both processes on this machine "
        "(loopback), JetStream file storage",
        "latency across processes includes two JetStream hops (the tick to the trader, its order event back), "
        "decoding, the trader's work and the acknowledgements; in one process only the engine's work (both "
        "include the order journal's PostgreSQL commit before an order goes out)",
        f"1-minute load average when the run started: {load:.1f} on {os.cpu_count()} cores (other jobs on the "
        "machine share it; the figures scale with it)",
    ]
    return section
