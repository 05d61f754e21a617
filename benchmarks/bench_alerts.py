"""Telegram alert delivery: from the bus publish on the engine's thread to the Bot API server's receipt.

The default path: ``[telegram]`` defaults (pacing at Telegram's limits: 1 message a second per chat, bursts of
3, 30 a second overall), the real python-telegram-bot client on the notifier's own thread, and the fake Bot API
(``tests/fakes/telegram``) on loopback in the same process. Alerts are ``alerts`` messages (warnings) published
every ``THEO_BENCH_ALERTS_GAP`` seconds (default 1.05 s, just within the per-chat limit) to 2 recipients, so
the figure is the delivery path, not time spent queueing behind the rate limit; a second run publishes a burst
to show what queueing behind the limits costs.

Latency: ``time.monotonic()`` just before ``bus.publish`` to the fake's ``time.monotonic()`` when the request
has been read. CPU time is the whole process's (engine thread, notifier thread, the fake) beside the wall time.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.fakes.telegram import FakeBotApi

from benchmarks.common import Result, Section
from theo.config import TheoConfig
from theo.core.bus.memory import InMemoryBus
from theo.persistence.db import make_engine, upgrade

TOKEN = "123456:BENCH-token"
N = int(os.environ.get("THEO_BENCH_ALERTS", "40"))
GAP = float(os.environ.get("THEO_BENCH_ALERTS_GAP", "1.05"))
CHATS = (1001, 1002)
BURST = 30


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def _service(tmp: Path, fake: FakeBotApi) -> tuple[Any, InMemoryBus]:
    from theo.node.notify.service import NotifierService

    cfg = TheoConfig.model_validate({"app": {"data_dir": str(tmp)}, "telegram": {
        "enabled": True, "base_url": fake.base_url, "commands": False,
        "recipients": [{"chat_id": c} for c in CHATS]}})
    engine = make_engine(f"sqlite:///{tmp / 'theo.db'}")
    upgrade(engine)
    service = NotifierService(cfg, engine)
    bus = InMemoryBus()
    service.notifier.attach(bus)
    service.start()
    return service, bus


def _publish(bus: InMemoryBus, tag: str, n: int, gap: float) -> tuple[dict[str, float], list[float]]:
    sent: dict[str, float] = {}
    publish_cost: list[float] = []
    for i in range(n):
        text = f"{tag} {i}"
        t = time.monotonic()
        sent[text] = t
        bus.publish("alerts", {"level": "warning", "text": text, "source": "bench"})
        publish_cost.append(time.monotonic() - t)
        if gap:
            time.sleep(max(0.0, t + gap - time.monotonic()))
    return sent, publish_cost


def _latencies(fake: FakeBotApi, sent: dict[str, float], expect: int, timeout: float) -> list[float]:
    def arrived() -> list[Any]:
        return [m for m in fake.messages() if m.text.split("\n")[0].removeprefix("Warning (bench): ") in sent]

    fake.wait_for(lambda: len(arrived()) >= expect, timeout=timeout)
    return [m.at - sent[m.text.split("\n")[0].removeprefix("Warning (bench): ")] for m in arrived()]


def run() -> Section:
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    os.environ["THEO_TELEGRAM_TOKEN"] = TOKEN
    section = Section("Telegram alerts: bus publish to the Bot API's receipt", "make bench BENCH=alerts")
    fake = FakeBotApi((TOKEN,))
    fake.start()
    with tempfile.TemporaryDirectory() as tmp:
        service, bus = _service(Path(tmp), fake)
        try:
            w0, c0 = time.perf_counter(), time.process_time()
            sent, cost = _publish(bus, "paced", N, GAP)
            lat = _latencies(fake, sent, N * len(CHATS), timeout=30)
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            ms = [x * 1000 for x in lat]
            section.results += [
                Result("paced alerts: delivery latency p50", _pct(ms, 0.5), "ms",
                       note=f"{len(ms)} deliveries: {N} alerts to {len(CHATS)} chats, one every {GAP:g} s"),
                Result("paced alerts: delivery latency p99", _pct(ms, 0.99), "ms", note=f"max {max(ms):.1f} ms"),
                Result("paced alerts: CPU time per delivery", cpu / len(ms) * 1000, "ms",
                       note=f"process CPU {cpu:.2f} s over {wall:.1f} s wall"),
                Result("engine side: bus.publish of one alert p99 (queueing only)", _pct(cost, 0.99) * 1e6, "µs",
                       note=f"p50 {_pct(cost, 0.5) * 1e6:.0f} µs"),
            ]
            fake.requests.clear()
            w0, c0 = time.perf_counter(), time.process_time()
            sent, cost = _publish(bus, "burst", BURST, 0.0)
            lat = _latencies(fake, sent, BURST * len(CHATS), timeout=BURST + 10)
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            ms = [x * 1000 for x in lat]
            section.results += [
                Result("burst: delivery latency p50", _pct(ms, 0.5), "ms",
                       note=f"{BURST} alerts at once to {len(CHATS)} chats, paced at 1/s per chat after 3"),
                Result("burst: delivery latency p99", _pct(ms, 0.99), "ms",
                       note=f"wall {wall:.1f} s, CPU {cpu:.2f} s; engine-side publish p99 "
                            f"{_pct(cost, 0.99) * 1e6:.0f} µs"),
                Result("alerts lost or sent twice", len(ms) - BURST * len(CHATS) + service.notifier.outbox.duplicates,
                       "messages", target="0", met=len(ms) == BURST * len(CHATS)),
            ]
        finally:
            service.stop(drain_seconds=0.5)
            fake.stop()
    section.notes += [
        "Default [telegram] pacing (Telegram's limits); real python-telegram-bot 22.8 over HTTP/1.1 keep-alive to a "
        "fake Bot API on loopback in the same process: the network to api.telegram.org (typically 20-150 ms) is "
        "not included.",
        "Latency: time.monotonic() before bus.publish to the fake's time.monotonic() on reading the request. "
        "CPU time is the whole process's (both threads and the fake) beside the wall time; the machine is shared.",
        "The burst shows queueing behind the per-chat limit: the n-th message to a chat leaves about n-3 seconds "
        "after the first.",
    ]
    return section
