"""``theo run``: the node in paper mode on the synthetic market or a file replay, paced by the wall clock.

The node is the backtest's node (:func:`theo.node.kernel.build_node`), with its records in the configured
database: the order journal, the trades, the risk decisions and the trading state, plus the simulated
broker's state file. So ``theo orders``, ``theo positions``, ``theo report deals`` and ``theo risk`` show the
run, and ``theo risk halt|kill`` reach it through the trade manager's sweep.

Restart and recovery are one path. The feed is deterministic (seeded synthetic market, or files), so on start
the node is fed at full speed up to where the previous run got (its checkpoint, or the paper account's last
market time when that is later) with trading off: the strategies rebuild their bars and indicators, nothing is
routed. The synthetic market starts ``engine.catch_up_days`` before that point (its price path up to there is
computed, not replayed), so the catch-up does not grow with the account's age; files replay from the start.
Then the order service reconciles the journal with the broker's state, the trade manager rebuilds its open
trades from the journal, and the run continues in (scaled) real time. A signal seen again after the checkpoint
finds the entry order it already sent (order ids follow from the signal), so nothing is sent twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from theo.config import TheoConfig
from theo.core.clock import Clock, SimulatedClock
from theo.core.errors import ConfigError
from theo.core.logging import get_logger
from theo.core.time import exchange_time, from_us, to_us
from theo.model.enums import RunStatus, SignalStatus
from theo.model.market import Bar, Tick
from theo.model.signals import SignalOutcome
from theo.node.bar_log import BarLog
from theo.node.config import DataFile
from theo.node.gate import EngineGate
from theo.node.kernel import Mode, Node, Stores, build_node
from theo.node.pnl import AccountRealized
from theo.node.runs import RunStore, wall_now
from theo.node.stream import Item, StreamDriver
from theo.persistence.repositories import Store
from theo.persistence.repositories.bars import BarRepository

log = get_logger("theo.node.paper")
IDLE_GAP_US = 15 * 60 * 1_000_000  # a quiet stretch longer than this is skipped, not waited for
# Between two looks at the event loop (where SIGTERM/SIGINT handlers run): at most this long, checked every
# SLICE items. Each look can hand the GIL to another thread for a switch interval, so not more often.
YIELD_EVERY_S = 0.2
SLICE = 500


def config_digest(config: TheoConfig) -> str:
    """Fingerprint of what decides the run's events (strategies, engine, market data, market, risk)."""
    parts = [config.model_dump_json(include={"strategies", "engine", "marketdata", "market", "risk", "scanner"},
                                    exclude={"engine": {"catch_up_days"}})]  # how a restart rebuilds, not what
    return hashlib.sha256("".join(parts).encode()).hexdigest()


def synthetic_items(config: TheoConfig, gate: EngineGate, resume: datetime | None = None) -> Iterator[Item]:
    """Ticks of the seeded synthetic market, through the quality gate: from ``engine.synthetic_start`` on, or,
    to resume at ``resume``, from ``engine.catch_up_days`` before it (the path up to there is computed, not
    replayed, so a restart costs the same however old the paper account is)."""
    for tick in synthetic_ticks(config, gate, resume):
        us = to_us(tick.ts)
        yield (tick.symbol, us, us, tick.price, tick.price, tick.price, tick.price, tick.size)


def synthetic_ticks(config: TheoConfig, gate: EngineGate, resume: datetime | None = None) -> Iterator[Tick]:
    """The ticks of :func:`synthetic_items` (the collector service publishes them as they are)."""
    from theo.adapters.sim.synthetic import SyntheticMarket

    start = config.engine.synthetic_start
    clock = SimulatedClock(start)
    market = SyntheticMarket(config.marketdata.synthetic, clock)
    days = config.engine.catch_up_days
    if resume is not None and days > 0:
        clock.move_to(market.fast_forward(start, resume - timedelta(days=days)))
    market.connect()
    for ev in market.events():
        if isinstance(ev, Tick) and gate.check(ev) is not None:
            yield ev


def replay_items(files: list[DataFile], gate: EngineGate) -> tuple[Iterator[Item], dict[str, str]]:
    """Ticks or bars of files in time order through the replay feed (suspicious prints are skipped) and,
    for ticks, the quality gate; and the timeframe of each symbol's file (``tick`` for prints)."""
    from theo.adapters.sim.replay import ReplayFeed
    from theo.node.data import symbol_of

    feed = ReplayFeed([(f.path, f.symbol or symbol_of(f.path)) for f in files])
    sources = feed.timeframes()

    def items() -> Iterator[Item]:
        for ev in feed.events():
            if isinstance(ev, Tick):
                if gate.check(ev) is not None:
                    us = to_us(ev.ts)
                    yield (ev.symbol, us, us, ev.price, ev.price, ev.price, ev.price, ev.size)
            elif isinstance(ev, Bar):
                yield (ev.symbol, to_us(ev.start), to_us(ev.end), ev.open, ev.high, ev.low, ev.close, ev.volume)

    return items(), sources


def account_stores(config: TheoConfig, db: Store, clock: Clock, broker: str, *files: Path) -> Stores:
    """An account's records in the configured database: the order journal of ``broker``, trades, trading state,
    risk decisions, the single-writer lock, and the checkpointer of the store's (and ``files``') WAL."""
    from theo.execution.lock import SingleWriterLock
    from theo.persistence.checkpoint import background_checkpoints
    from theo.persistence.repositories import Repositories
    from theo.persistence.repositories.orders import SqlOrderJournal
    from theo.persistence.repositories.trades import SqlTradeStore
    from theo.risk.decisions import DecisionLog
    from theo.risk.state import TradingState

    repos = Repositories(db)
    return Stores(journal=SqlOrderJournal(db, broker=broker), trades=SqlTradeStore(db),
                  state=TradingState(clock, store=repos.trading_state, rate=config.risk.rate_limit),
                  decisions=DecisionLog(repos.decisions),
                  lock=SingleWriterLock(repos.leases, ttl_seconds=config.execution.lock_ttl_seconds),
                  checkpointer=background_checkpoints(db, *files))


def paper_stores(config: TheoConfig, db: Store, clock: SimulatedClock) -> Stores:
    """The paper account's records in the configured database, and the simulated broker's state file."""
    from theo.adapters.sim.state import state_path

    broker_state = state_path(config.app.data_dir, config.execution.sim.state_file)
    return replace(account_stores(config, db, clock, "sim", broker_state), broker_state=broker_state)


def timing_counters(journal: object) -> dict[str, Any]:
    """The order journal's write-latency histogram for the run's counters (``GET /metrics`` exports it as
    ``theo_journal_write_seconds``); a journal that keeps none (a backtest's) adds nothing."""
    from theo.core.histogram import Histogram

    hist = getattr(journal, "write_seconds", None)
    return {"journal_write_seconds": hist.snapshot()} if isinstance(hist, Histogram) else {}


@dataclass
class RunState:
    """What the status display shows."""

    run_id: int = 0
    sim_now: datetime | None = None
    items: int = 0
    last_price: dict[str, float] = field(default_factory=dict)
    ticks: dict[str, int] = field(default_factory=dict)  # items processed per symbol
    resumed_to: datetime | None = None
    finished: bool = False


class PaperRun:
    """One ``theo run``: node + streaming driver + run record + pacing."""

    def __init__(self, config: TheoConfig, db: Store, replay: list[DataFile] | None = None,
                 speed: float | None = None, duration: float | None = None) -> None:
        self.config = config
        self.replay = replay if replay is not None else list(config.engine.replay)
        self.feed_name = "replay" if self.replay or config.marketdata.feed == "replay" else "synthetic"
        self.speed = speed
        self.duration = duration
        from theo.persistence.repositories.runs import SqlRunStore

        self.store = RunStore(SqlRunStore(db))
        # Simulated time: the synthetic market starts at engine.synthetic_start; a replay moves the clock
        # forward from the epoch to its first item.
        start = config.engine.synthetic_start if self.feed_name == "synthetic" else from_us(0)
        clock = SimulatedClock(start)
        self.node: Node = build_node(config, Mode.PAPER, start=start, stores=paper_stores(config, db, clock),
                                     clock=clock)
        self.node.signals.listener = self.store.on_signal
        self.realized = AccountRealized(self.node.manager)
        from theo.node.raw_splits import watch_splits
        from theo.persistence.repositories.corporate_actions import CorporateActionRepository

        # The feed's bars are raw: an ex-date puts the strategies' windows on the split's new basis.
        self.splits = watch_splits(self.node, CorporateActionRepository(db))
        if self.feed_name == "synthetic":
            offered = [i.symbol.upper() for i in config.marketdata.synthetic.instruments]
            missing = [s for s in self.node.symbols if s not in offered]
            if missing:
                raise ConfigError(f"the strategies trade {', '.join(missing)} but the synthetic market has only "
                                  f"{', '.join(offered)}; add them to [[marketdata.synthetic.instruments]] or "
                                  f"use --replay FILES")
        self.driver: StreamDriver | None = None
        self.state = RunState()
        self.stop = asyncio.Event()
        self._yielded = time.monotonic()
        self.gate = EngineGate(config, from_us(0))  # the gate clock follows the ticks (no skew rule)
        self.bars = BarLog(BarRepository(db), self.node.calendar_of, f"paper-{self.feed_name}")  # for the charts
        self.on_item: Callable[[Item], None] | None = None  # observers (the dashboard's event bridge)
        self.on_bar: Callable[[Bar], None] | None = None

    # --------------------------------------------------------------------------------------- snapshots
    def counters(self) -> dict[str, Any]:
        manager = self.node.manager
        trades = manager.trades()
        closed = [t for t in trades if not t.is_open]
        counts = self.node.signals.counts
        return {"items": self.state.items, "signals": len(self.node.signals),
                "signals_executed": counts.get(SignalStatus.EXECUTED, 0), "orders": len(self.node.service.orders),
                "trades": len(trades), "open_trades": len(trades) - len(closed),
                "realized_pnl": str(self.realized()),
                "rejected_ticks": sum(self.gate.rejected.values()),
                "sim_now": self.state.sim_now.isoformat() if self.state.sim_now else None,
                "last_price": {k: v for k, v in sorted(self.state.last_price.items())},
                "ticks": dict(sorted(self.state.ticks.items())), "splits_applied": list(self.splits.applied),
                **timing_counters(self.node.service.journal)}

    def checkpoint(self) -> dict[str, Any]:
        base = {"sim_now_us": to_us(self.state.sim_now) if self.state.sim_now else None, "feed": self.feed_name}
        return {**base, **self.node.checkpoint()}

    def flush(self, status: RunStatus = RunStatus.RUNNING, stopped: datetime | None = None) -> None:
        self.bars.write()
        self.store.flush(wall_now(), self.counters(), self.checkpoint(), status, stopped)

    def recent_signals(self, n: int = 5) -> list[SignalOutcome]:
        return self.node.signals.last(n)

    # ------------------------------------------------------------------------------------------- loop
    def _items(self, resume_us: int | None) -> Iterator[Item]:
        """The feed's items; the streaming driver is built once the feed knows each symbol's timeframe."""
        if self.feed_name == "replay":
            items, sources = replay_items(self.replay, self.gate)
        else:
            resume = from_us(resume_us) if resume_us is not None else None
            items, sources = synthetic_items(self.config, self.gate, resume), {s: "tick" for s in self.node.symbols}
        self.driver = StreamDriver(self.node, sources)
        self.driver.on_bar = self.on_bar
        self.bars.start(sources)
        return items

    def _feed(self, item: Item) -> None:
        assert self.driver is not None
        self.driver.on_item(*item)
        self.bars.on_item(*item)
        self.state.items += 1
        self.state.ticks[item[0]] = self.state.ticks.get(item[0], 0) + 1
        self.state.last_price[item[0]] = item[6]
        self.state.sim_now = from_us(item[1])
        if self.on_item is not None:
            self.on_item(item)

    async def run(self, on_status: Callable[[PaperRun], None] | None = None) -> RunStatus:
        """Run until stopped, the duration ends or the data ends; return the final status."""
        cfg = self.config.engine
        resume = self.store.start(Mode.PAPER.value, self.feed_name, config_digest(self.config), wall_now(),
                                  stale_after=max(3 * cfg.heartbeat_seconds, 15.0))
        self.state.run_id = self.store.run_id
        resume_us = resume.get("sim_now_us")
        node = self.node
        account = node.account_time()
        if account is not None and (resume_us is None or to_us(account) > resume_us):
            log.info("run.account_ahead", account_time=account.isoformat())
            resume_us = to_us(account)  # the paper account has traded up to here: continue after it
        log.info("run.started", run=self.store.run_id, feed=self.feed_name, resume_to=resume_us and
                 from_us(resume_us).isoformat(), speed=self.speed)
        items = self._items(resume_us)
        t_start = time.monotonic()
        status = RunStatus.STOPPED
        pending = await self._catch_up(items, resume_us)
        if self.stop.is_set():  # stopped while catching up: nothing was traded, the checkpoint stays as it was
            self.store.flush(wall_now(), self.counters(), resume, status, wall_now())
            node.stop()
            log.info("run.stopped_catching_up", run=self.store.run_id, items=self.state.items,
                     seconds=round(time.monotonic() - t_start, 3))
            return status
        ended = to_us(self.state.sim_now) if self.state.sim_now is not None else None
        if pending is None and resume_us is not None and (ended is None or ended < resume_us):
            # the replay ends before this account's time (a re-run of the same data ends on it: nothing to do)
            self.store.flush(wall_now(), self.counters(), resume, status, wall_now())
            node.stop()
            raise ConfigError(
                f"nothing to replay: the data ends before {exchange_time(from_us(resume_us))}, where this "
                f"account's journal resumes (its previous run or last fill); replay later data, or start a new "
                f"account with another [app] data_dir or [database] url")
        log.info("run.caught_up", items=self.state.items, seconds=round(time.monotonic() - t_start, 3))
        if resume_us is not None:
            self.state.resumed_to = from_us(resume_us)
        if pending is not None and isinstance(node.clock, SimulatedClock):
            node.clock.move_to(from_us(resume_us if resume_us is not None else pending[1]))
        node.start()  # reconcile with the broker, rebuild open trades from the journal
        if resume:
            self._verify(resume)
        self.flush()
        wall0, sim0 = time.monotonic(), (pending[1] if pending else 0)
        last_beat = last_status = last_sweep = time.monotonic()
        sweep_every = self.config.risk.trade.sweep_seconds
        try:
            while pending is not None and not self.stop.is_set():
                if self.speed is not None:
                    delay = wall0 + (pending[1] - sim0) / 1e6 / self.speed - time.monotonic()
                    if delay > 0:
                        try:
                            await asyncio.wait_for(self.stop.wait(), timeout=min(delay, cfg.status_interval))
                            break
                        except TimeoutError:
                            pass
                        if time.monotonic() < wall0 + (pending[1] - sim0) / 1e6 / self.speed:
                            last_status = self._tick_status(on_status, last_status)
                            if self._expired(t_start):
                                break
                            continue
                self._feed(pending)
                last_ts = pending[1]
                pending = next(items, None)
                if pending is not None and pending[1] - last_ts > IDLE_GAP_US:
                    # Market closed (overnight, weekend): do not sit idle in wall time until it reopens.
                    log.info("run.skip_closed_market", to=from_us(pending[1]).isoformat())
                    wall0, sim0 = time.monotonic(), pending[1]
                now = time.monotonic()
                if now - last_beat >= cfg.heartbeat_seconds:
                    self.flush()
                    last_beat = now
                if now - last_sweep >= sweep_every:
                    node.sweep(node.clock.now())  # `theo risk halt|kill`, protection, the lock
                    last_sweep = now
                last_status = self._tick_status(on_status, last_status)
                if self._expired(t_start):
                    break
                if self.state.items % SLICE == 0:
                    await self._breathe()  # let signal handlers run while the feed is behind the wall clock
            if pending is None and self.driver is not None and not self.stop.is_set():
                self.driver.finish()
                self.bars.finish()
                self.state.finished = True
                status = RunStatus.COMPLETED
        except Exception:
            status = RunStatus.CRASHED  # recorded below when the store can still be written
            raise
        finally:
            self.flush(status, wall_now())
            node.stop()
            log.info("run.stopped", run=self.store.run_id, status=status.value, **{
                k: v for k, v in self.counters().items() if k != "last_price"})
        if on_status is not None:
            on_status(self)
        return status

    async def _catch_up(self, items: Iterator[Item], resume_us: int | None) -> Item | None:
        """Feed the items up to ``resume_us`` at full speed with trading off; return the first item after it.

        It yields to the event loop every ``YIELD_EVERY_S``, so Ctrl-C or SIGTERM stops it at once (``self.stop``
        is then set and the item returned is meaningless).
        """
        if resume_us is None:
            return next(items, None)
        for n, item in enumerate(items, 1):
            if item[1] > resume_us:
                return item
            self._feed(item)
            if n % SLICE == 0:
                await self._breathe()
                if self.stop.is_set():
                    return None
        return None

    async def _breathe(self) -> None:
        """Yield to the event loop when the last time is ``YIELD_EVERY_S`` ago."""
        now = time.monotonic()
        if now - self._yielded >= YIELD_EVERY_S:
            self._yielded = now
            await asyncio.sleep(0)

    def _expired(self, t_start: float) -> bool:
        return self.duration is not None and time.monotonic() - t_start >= self.duration

    def _tick_status(self, on_status: Callable[[PaperRun], None] | None, last: float) -> float:
        now = time.monotonic()
        if on_status is not None and now - last >= self.config.engine.status_interval:
            on_status(self)
            return now
        return last

    def _verify(self, resume: dict[str, Any]) -> None:
        mine = {p["id"] for p in self.checkpoint()["positions"]}
        theirs = {p["id"] for p in resume.get("positions", [])}
        if mine == theirs:
            log.info("run.resumed", positions=len(mine), working=len(resume.get("working_orders", [])))
        else:
            log.warning("run.resume_mismatch", rebuilt=sorted(mine), checkpoint=sorted(theirs))

    def install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop.set)
