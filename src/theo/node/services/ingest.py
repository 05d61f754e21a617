"""The collector service: feed → quality gate → recorder, and every tick that passes on ``ticks.<SYM>``.

It runs the paper feeds of ``theo run`` (the seeded synthetic market, or tick files replayed) as their own
process, paced like ``theo run`` (``--speed``, or flat out). Each tick is published with a message id made of
the feed's key (a digest of what decides its ticks), the symbol, the time and its rank among the symbol's
prints of that microsecond. So a restarted collector, which reads the feed again, publishes nothing twice:
it asks the stream for each symbol's last stored tick and publishes only what comes after it, and the server
drops an id it already holds. The recorder's writes are idempotent too (the ticks table is keyed by symbol,
time and rank), so the ticks a killed collector had published but not yet written are written on restart.

When a replay ends the collector publishes ``feed.ended`` (the trader then closes its last bars, as
``theo run`` does at the end of the data) and exits.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from typing import Any

from theo.core.errors import ConfigError
from theo.core.logging import get_logger
from theo.core.time import from_us, to_us
from theo.model.market import Tick
from theo.node.config import DataFile
from theo.node.gate import EngineGate
from theo.node.paper import IDLE_GAP_US, synthetic_ticks
from theo.node.services.runtime import ServiceRuntime

log = get_logger("theo.services.collector")
ENDED = "feed.ended"


def feed_key(rt: ServiceRuntime, files: list[DataFile]) -> str:
    """A short digest of what decides the feed's ticks: ids of another feed never collide with these."""
    cfg = rt.config
    if files:
        parts = [f"{f.symbol}={f.path.name}:{f.path.stat().st_size}" for f in files]
    else:
        parts = [cfg.marketdata.synthetic.model_dump_json(), cfg.engine.synthetic_start.isoformat()]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


def replay_ticks(files: list[DataFile], gate: EngineGate) -> Iterator[Tick]:
    """The ticks of tick files in time order, through the replay feed's checks and the quality gate."""
    from theo.adapters.sim.replay import ReplayFeed
    from theo.node.data import symbol_of

    feed = ReplayFeed([(f.path, f.symbol or symbol_of(f.path)) for f in files])
    bars = [s for s, tf in feed.timeframes().items() if tf != "tick"]
    if bars:
        raise ConfigError(f"the collector service publishes ticks; the replay files of {', '.join(bars)} hold "
                          f"bars: replay bar files with `theo run --replay`")
    for ev in feed.events():
        if isinstance(ev, Tick) and gate.check(ev) is not None:
            yield ev


class Collector:
    """One collector process (see the module docstring)."""

    def __init__(self, rt: ServiceRuntime, files: list[DataFile] | None = None, speed: float | None = None) -> None:
        from theo.data.recorder import Recorder
        from theo.persistence.repositories.market_data import MarketDataRepository

        self.rt = rt
        self.files = files if files is not None else list(rt.config.engine.replay)
        self.speed = speed
        self.key = feed_key(rt, self.files)
        self.gate = EngineGate(rt.config, from_us(0))
        self.recorder = Recorder(MarketDataRepository(rt.store)) if rt.config.marketdata.bars.store else None
        self.published = 0
        self.skipped = 0

    def symbols(self) -> list[str]:
        from theo.node.data import symbol_of

        if self.files:
            return [(f.symbol or symbol_of(f.path)).upper() for f in self.files]
        return [i.symbol.upper() for i in self.rt.config.marketdata.synthetic.instruments]

    def resume_points(self) -> dict[str, tuple[int, int]]:
        """Per symbol, the (time µs, rank) of the last tick of this feed the stream holds."""
        out: dict[str, tuple[int, int]] = {}
        for symbol in self.symbols():
            last = self.rt.bus.last(f"ticks.{symbol}")
            if last is None:
                continue
            parts = last.msg_id.rsplit(":", 3)
            if len(parts) == 4 and parts[0] == self.key:
                out[symbol] = (int(parts[2]), int(parts[3]))
        return out

    def ticks(self, resume: dict[str, tuple[int, int]]) -> Iterator[Tick]:
        if self.files:
            return replay_ticks(self.files, self.gate)
        start = from_us(min(us for us, _ in resume.values())) if resume else None
        return synthetic_ticks(self.rt.config, self.gate, start)

    def run(self) -> dict[str, Any]:
        rt = self.rt
        resume = self.resume_points()
        if resume:
            log.info("collector.resuming", feed=self.key, after={s: from_us(us).isoformat()
                                                                 for s, (us, _) in sorted(resume.items())})
        rt.systemd.ready(f"collecting {'replay' if self.files else 'synthetic'} feed {self.key}")
        rank: dict[str, tuple[int, int]] = {}
        wall0 = sim0 = None
        last_us = None
        ended = True
        for tick in self.ticks(resume):
            if rt.stop.is_set():
                ended = False
                break
            us = to_us(tick.ts)
            prev = rank.get(tick.symbol)
            k = prev[1] + 1 if prev is not None and prev[0] == us else 0
            rank[tick.symbol] = (us, k)
            if self.recorder is not None:
                self.recorder.on_tick(tick)
            done = resume.get(tick.symbol)
            if done is not None and (us, k) <= done:
                self.skipped += 1
                continue
            if self.speed is not None:
                if wall0 is None or sim0 is None or (last_us is not None and us - last_us > IDLE_GAP_US):
                    wall0, sim0 = time.monotonic(), us
                delay = wall0 + (us - sim0) / 1e6 / self.speed - time.monotonic()
                if delay > 0 and rt.stop.wait(delay):
                    ended = False
                    break
            last_us = us
            rt.bus.publish(f"ticks.{tick.symbol}", tick, msg_id=f"{self.key}:{tick.symbol}:{us}:{k}")
            self.published += 1
            rt.systemd.beat()
        if self.recorder is not None:
            self.recorder.flush()
        rt.bus.flush(30.0)
        if ended and self.files:
            rt.bus.publish(ENDED, {"feed": self.key, "ticks": self.published + self.skipped},
                           msg_id=f"{self.key}:end")
            rt.bus.flush(30.0)
        stats = {"published": self.published, "skipped": self.skipped, "ended": ended and bool(self.files),
                 "rejected": sum(self.gate.rejected.values())}
        log.info("collector.stopped", feed=self.key, **stats)
        return stats


def run(rt: ServiceRuntime) -> int:
    """``theo service run collector``."""
    Collector(rt, rt.options.get("replay"), rt.options.get("speed")).run()
    return 0
