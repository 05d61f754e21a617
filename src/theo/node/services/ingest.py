"""The collector service: ``theo collect``'s :class:`~theo.node.services.collector.Collector` (feed → quality
gate → recorder with its spool → bars) publishing on NATS, so the other services trade on its ticks.

The collector hands every message of its market-data path to a bus; here that bus is :class:`CollectorBus`,
which puts them on NATS with ids that make a restart harmless. A tick's id is the feed's key (a digest of what
decides its ticks), the symbol, the time and its rank among the symbol's prints of that microsecond; a
restarted collector, which reads its feed again (a replay from its start, the synthetic market from
``synthetic_start``), asks the stream for each symbol's last stored tick and publishes only what comes after
it (the recorder's writes are idempotent, so what a killed collector had published but not yet written is
written now). Bars stay off the bus here: the aggregator service publishes them, with the indicators. Feed
events (``feed.stale``, ``feed.resumed``) and quotes go out as they are.

When a replay ends the collector publishes ``feed.ended`` (the trader then closes its last bars, as ``theo run``
does at the end of the data) and exits.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from typing import Any

from theo.config import TheoConfig
from theo.core.bus.base import Handler, MessageBus, Subscription
from theo.core.bus.nats import NatsBus
from theo.core.errors import ConfigError
from theo.core.logging import get_logger
from theo.core.time import from_us, to_us
from theo.model.market import Tick
from theo.node.config import DataFile
from theo.node.gate import EngineGate
from theo.node.services.runtime import ServiceRuntime

log = get_logger("theo.services.collector")
ENDED = "feed.ended"


def feed_key(config: TheoConfig, kind: str, files: list[DataFile]) -> str:
    """A short digest of what decides the feed's ticks: ids of another feed never collide with these."""
    if kind == "replay":
        parts = [f"{f.symbol}={f.path.name}:{f.path.stat().st_size}" for f in files]
    else:
        parts = [kind, config.marketdata.synthetic.model_dump_json(), config.engine.synthetic_start.isoformat()]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


def replay_ticks(files: list[DataFile], gate: EngineGate) -> Iterator[Tick]:
    """The ticks of tick files in time order, through the replay feed's checks and the quality gate (what the
    collector publishes of them; the NATS benchmark replays them)."""
    from theo.adapters.sim.replay import ReplayFeed
    from theo.node.data import symbol_of

    feed = ReplayFeed([(f.path, f.symbol or symbol_of(f.path)) for f in files])
    for ev in feed.events():
        if isinstance(ev, Tick) and gate.check(ev) is not None:
            yield ev


class CollectorBus(MessageBus):
    """The collector's messages on NATS (see the module docstring); publishing only."""

    def __init__(self, bus: NatsBus, key: str, resume: dict[str, tuple[int, int]]) -> None:
        self.bus = bus
        self.key = key
        self.resume = resume
        self._rank: dict[str, tuple[int, int]] = {}
        self.published = 0
        self.skipped = 0

    def has_subscribers(self, topic: str) -> bool:
        return not topic.startswith("bars.")  # the aggregator service publishes the bars

    def publish(self, topic: str, message: Any) -> None:
        if topic.startswith("bars."):
            return
        if not (topic.startswith("ticks.") and isinstance(message, Tick)):
            self.bus.publish(topic, message)
            return
        us = to_us(message.ts)
        prev = self._rank.get(message.symbol)
        k = prev[1] + 1 if prev is not None and prev[0] == us else 0
        self._rank[message.symbol] = (us, k)
        done = self.resume.get(message.symbol)
        if done is not None and (us, k) <= done:
            self.skipped += 1  # the stream has it from the collector's previous life
            return
        self.bus.publish(topic, message, msg_id=f"{self.key}:{message.symbol}:{us}:{k}")
        self.published += 1

    def subscribe(self, pattern: str, handler: Handler) -> Subscription:
        raise NotImplementedError("the collector's bus only publishes; subscribe on the NATS bus")

    def unsubscribe(self, subscription: Subscription) -> None:
        """Nothing is subscribed here."""


def resume_points(bus: NatsBus, key: str, symbols: list[str]) -> dict[str, tuple[int, int]]:
    """Per symbol, the (time µs, rank) of the last tick of feed ``key`` the stream holds."""
    out: dict[str, tuple[int, int]] = {}
    for symbol in symbols:
        last = bus.last(f"ticks.{symbol}")
        if last is None:
            continue
        parts = last.msg_id.rsplit(":", 3)
        if len(parts) == 4 and parts[0] == key:
            out[symbol] = (int(parts[2]), int(parts[3]))
    return out


def run(rt: ServiceRuntime) -> int:
    """``theo service run collector``: until stopped, or the end of a replay."""
    from theo.node.services.collect_feeds import build_feed
    from theo.node.services.collector import Collector

    cfg = rt.config
    files: list[DataFile] = list(rt.options.get("replay") or [])
    kind = (cfg.collector.feed or ("replay" if files else cfg.marketdata.feed)).strip().lower()
    if kind == "polygon" and not cfg.collector.symbols:
        raise ConfigError("the collector service on Polygon streams [collector] symbols; list them")
    files = files or list(cfg.engine.replay)
    built = build_feed(cfg, kind, replay=files, speed=rt.options.get("speed"), symbols=cfg.collector.symbols)
    key = feed_key(cfg, kind, files)
    resume = resume_points(rt.bus, key, built.offered) if kind != "polygon" else {}
    if resume:
        log.info("collector.resuming", feed=key, after={s: from_us(us).isoformat()
                                                        for s, (us, _) in sorted(resume.items())})
    out = CollectorBus(rt.bus, key, resume)
    collector = Collector(cfg, rt.store, built.feed, out, clock=built.clock, symbols=cfg.collector.symbols)

    async def main() -> str:
        stop = asyncio.Event()

        async def watch() -> None:
            while not rt.stop.is_set():
                rt.systemd.beat()
                await asyncio.sleep(0.2)
            stop.set()

        watcher = asyncio.ensure_future(watch())
        rt.systemd.ready(f"collecting {kind} feed {key}")
        try:
            summary = await collector.run(stop)
        finally:
            watcher.cancel()
        return summary.stop_reason

    reason = asyncio.run(main())
    rt.bus.flush(30.0)
    ended = kind == "replay" and reason == "the feed ended"
    if ended:
        rt.bus.publish(ENDED, {"feed": key, "ticks": out.published + out.skipped}, msg_id=f"{key}:end")
        rt.bus.flush(30.0)
    log.info("collector.stopped", feed=key, published=out.published, skipped=out.skipped, ended=ended,
             reason=reason)
    return 0
