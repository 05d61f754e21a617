"""The dashboard's event stream: events per second to 10 WebSocket clients through the real uvicorn server.

The server is the one ``theo run`` embeds (:class:`theo.api.server.ApiServer`, its own thread and event loop)
with the real app, session check and :class:`~theo.api.events.EventHub`; a thread publishes ``order`` events
the way the engine's bridge does (``order`` is never dropped nor throttled; ticks are throttled to 4 per second
per symbol by design, so they are not a throughput figure). Ten clients in a separate process (so they do not
share the server's interpreter) read the stream over loopback.

1. Burst: ``BURST`` events published back to back; wall time from the first publish to the last event read by
   every client, the server process's CPU time over the same span.
2. Paced: ``PACED`` events at ``RATE`` per second; delivery latency (publish to read, CLOCK_MONOTONIC, which
   both processes share) per event and client.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.common import Result, Section

CLIENTS = 10
BURST = 5_000
PACED = 2_000
RATE = 1_000  # events per second in the paced phase


def _client_process(url: str, token: str, total: int, out: Any, ready: Any) -> None:
    from websockets.asyncio.client import connect

    async def one(results: list[tuple[int, int, int]]) -> None:
        async with connect(f"{url}/api/v1/events?token={token}", max_queue=None) as ws:
            ready.put(1)
            got = 0
            while got < total:
                message = json.loads(await ws.recv())
                if message["kind"] != "order":
                    continue
                results.append((message["data"]["n"], message["data"]["sent"], time.monotonic_ns()))
                got += 1

    async def main() -> list[list[tuple[int, int, int]]]:
        results: list[list[tuple[int, int, int]]] = [[] for _ in range(CLIENTS)]
        await asyncio.gather(*(one(r) for r in results))
        return results

    out.put(asyncio.run(main()))


def _order(n: int) -> dict[str, Any]:
    return {"n": n, "sent": time.monotonic_ns(), "id": f"c-{n:08d}", "symbol": "SPY", "side": "BUY",
            "type": "LIMIT", "status": "ACCEPTED", "quantity": "100", "filled": "0", "price": "501.25"}


def measure() -> dict[str, Any]:
    from theo.api.app import create_app
    from theo.api.auth.passwords import hash_password
    from theo.api.events import EventHub
    from theo.api.server import ApiServer
    from theo.api.services.context import ServiceContext
    from theo.config import TheoConfig
    from theo.persistence.db import make_engine, upgrade

    with tempfile.TemporaryDirectory() as tmp:
        cfg = TheoConfig.model_validate({"app": {"data_dir": tmp}, "api": {"port": 0},
                                         "database": {"url": f"sqlite:///{Path(tmp) / 'theo.db'}"}})
        store = make_engine(cfg.database_url())
        upgrade(store)
        hub = EventHub()
        ctx = ServiceContext(config=cfg, store=store, events=hub)
        ctx.repos.users.create("bench", hash_password("benchmark password"), "viewer", datetime.now(UTC))
        server = ApiServer(create_app(ctx), cfg.api)
        url = server.start()
        import httpx

        token = httpx.post(f"{url}/api/v1/auth/login", json={"username": "bench", "password": "benchmark password"}
                           ).json()["token"]
        spawn = mp.get_context("spawn")
        out, ready = spawn.Queue(), spawn.Queue()
        proc = spawn.Process(target=_client_process, args=(url.replace("http", "ws"), token, BURST + PACED, out,
                                                            ready))
        proc.start()
        for _ in range(CLIENTS):
            ready.get(timeout=60)
        while hub.clients < CLIENTS:
            time.sleep(0.01)
        cpu0, t0 = time.process_time(), time.monotonic_ns()
        for n in range(BURST):
            hub.publish("order", _order(n))
        publish_s = (time.monotonic_ns() - t0) / 1e9
        done = threading.Event()

        def paced() -> None:
            start = time.monotonic()
            for n in range(BURST, BURST + PACED):
                wait = start + (n - BURST) / RATE - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                hub.publish("order", _order(n))
            done.set()

        # the paced phase starts once the burst has left the queues (so it does not queue behind it)
        results = None
        burst_cpu = 0.0
        pacer = threading.Thread(target=paced)
        try:
            pacer_started = False
            deadline = time.monotonic() + 300
            while results is None and time.monotonic() < deadline:
                if not pacer_started and hub.backlog() == 0:  # the burst is on the wire
                    burst_cpu = time.process_time() - cpu0
                    pacer.start()
                    pacer_started = True
                try:
                    results = out.get(timeout=0.05)
                except Exception:
                    results = None
            done.wait(timeout=60)
        finally:
            proc.join(timeout=30)
            server.stop()
            store.dispose()
        assert results is not None, "the clients did not finish"
        return {"results": results, "t0": t0, "publish_s": publish_s, "burst_cpu": burst_cpu,
                "dropped": hub.dropped}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run() -> Section:
    section = Section("Dashboard event stream: 10 WebSocket clients through uvicorn", "make bench BENCH=api_ws")
    out = measure()
    per_client = out["results"]
    last_burst = max(r[BURST - 1][2] for r in per_client)
    wall = (last_burst - out["t0"]) / 1e9
    burst_lat = [(r[2] - r[1]) / 1e6 for c in per_client for r in c[:BURST]]
    paced_lat = [(r[2] - r[1]) / 1e6 for c in per_client for r in c[BURST:]]
    section.results += [
        Result("burst: events delivered per second to each of 10 clients", BURST / wall, "events/s",
               note=f"{BURST:,} events, {CLIENTS * BURST / wall:,.0f} messages/s in all; wall {wall:.2f} s, "
                    f"server CPU {out['burst_cpu']:.2f} s until the burst left its queues; publishing "
                    f"took {out['publish_s'] * 1e3:.0f} ms"),
        Result("burst: delivery latency p99", _pct(burst_lat, 0.99), "ms", note=f"p50 {_pct(burst_lat, 0.5):.0f} ms: "
               "each event queues behind the burst"),
        Result(f"paced at {RATE:,}/s: delivery latency p50", _pct(paced_lat, 0.5), "ms",
               note=f"mean {statistics.mean(paced_lat):.2f} ms, {len(paced_lat):,} deliveries"),
        Result(f"paced at {RATE:,}/s: delivery latency p99", _pct(paced_lat, 0.99), "ms"),
        Result("events dropped", float(out["dropped"]), "events", "0 (orders are never dropped)",
               out["dropped"] == 0),
    ]
    section.notes += [
        "Server: the real app and uvicorn (websockets), in its own thread and event loop as inside `theo run`; "
        "the publisher is a thread calling EventHub.publish as the engine's bridge does; one JSON encoding per "
        "event is shared by the clients. Clients: 10 connections in one separate process (asyncio, websockets).",
        "Latency: CLOCK_MONOTONIC at publish (carried in the event) to the client's read; both processes share "
        "the clock. Wall and CPU time of the server process over the burst; the machine is shared.",
    ]
    return section


if __name__ == "__main__":
    for r in run().results:
        print(f"{r.name}: {r.value:,.2f} {r.unit} {r.note}")
