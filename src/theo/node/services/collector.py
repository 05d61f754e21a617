"""The market-data collector (plan §1 ``streamdata``): feed → quality gate → recorder → bar aggregator, no trading.

:class:`Collector` takes any :class:`~theo.data.feeds.base.Feed` (synthetic, replay, IBKR, Polygon, or a
fail-over supervisor that is itself a feed) and records every tick it accepts. The market-data path is the
engine's own (:class:`~theo.data.pipeline.MarketDataPipeline`: the quality gate, the latency monitor, the
session-aligned bar aggregator, the recorder), run on a private in-process bus whose every message is
forwarded to the bus given, so subscribers see exactly what the engine publishes: accepted ticks on
``ticks.<SYM>``, closed bars on ``bars.<tf>.<SYM>``, ``feed.stale`` / ``feed.resumed``, quotes.

Writes are batched (``COPY`` on PostgreSQL) and flushed every ``[collector] flush_seconds``. They go through
a :class:`~theo.data.durable.SpoolingStore`: while the database is out they are appended to a local,
checksummed spool and replayed in order, with back-off, when it is back; a spool left by a crashed run is
replayed at the next start before anything new is written.

Time: with a :class:`~theo.core.clock.SimulatedClock` (replay, synthetic market) the clock follows the
data, as in a backtest; with the wall clock (live feeds) the collector fires its timers four times a second.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from theo.config import TheoConfig
from theo.core.bus import MessageBus
from theo.core.bus.memory import InMemoryBus
from theo.core.calendar import get_calendar
from theo.core.clock import Clock, LiveClock, SimulatedClock
from theo.core.logging import get_logger
from theo.data.durable import SpoolingStore
from theo.data.feeds.base import Feed, MarketEvent, event_time
from theo.data.pipeline import MarketDataPipeline
from theo.data.recorder import RecordingStore
from theo.data.rejection import Rejection
from theo.data.spool import Spool
from theo.data.supervisor import FeedSupervisor
from theo.model.market import Bar, Tick
from theo.node.services.collect_feeds import PacedFeed
from theo.node.services.collect_summary import CollectSummary, DayEnds
from theo.persistence.repositories import Store

log = get_logger("theo.collector")

NOT_SUBSCRIBED = "not_subscribed"
SPOOL_FILE = "collector.spool"


class Collector:
    """Record a feed's market data (see the module docstring).

    ``Collector(config, store, feed, bus, ...)`` then ``await collector.run(stop)`` returns the
    :class:`CollectSummary`; this signature is the collector service's contract. ``store`` is the database
    (a :data:`~theo.persistence.repositories.Store`) or any :class:`~theo.data.recorder.RecordingStore`.
    Keywords: ``clock`` (default: the wall clock), ``symbols`` (default ``[collector] symbols``, else what
    the feed offers), ``until`` (stop at this time of the clock), ``spool_path``, ``is_outage`` (which
    write errors mean the database is out), ``on_session_end`` (called with the summary so far when the
    clock passes the end of a trading day's last session).
    """

    def __init__(self, config: TheoConfig, store: Store | RecordingStore, feed: Feed, bus: MessageBus, *,
                 clock: Clock | None = None, symbols: Sequence[str] = (), until: datetime | None = None,
                 spool_path: Path | None = None, is_outage: Callable[[BaseException], bool] | None = None,
                 on_session_end: Callable[[CollectSummary], None] | None = None) -> None:
        from theo.persistence.outage import is_outage as store_outage

        cc = config.collector
        self.config = config
        self.feed = feed
        self.bus = bus
        self.clock = clock or LiveClock()
        self.until = until
        self.on_session_end = on_session_end
        self.symbols = [s.upper() for s in (symbols or cc.symbols)]
        recording: RecordingStore
        if hasattr(store, "write_ticks"):
            recording = store  # type: ignore[assignment]
        else:
            from theo.persistence.repositories.market_data import MarketDataRepository

            recording = MarketDataRepository(store)  # type: ignore[arg-type]
        self._recording = recording
        data_dir = config.app.data_dir
        folder = cc.spool_dir if cc.spool_dir.is_absolute() else data_dir / cc.spool_dir
        self.spool = Spool(spool_path or folder / SPOOL_FILE)
        self._is_outage = is_outage or store_outage
        self.durable: SpoolingStore | None = None
        self.local = InMemoryBus()
        calendar = get_calendar(config.market.calendar, config.market)
        self.calendar = calendar
        self.pipeline: MarketDataPipeline | None = None
        self.summary = CollectSummary(feed.name, datetime.now(UTC))
        if getattr(feed, "on_reject", False) is None:  # a replay's suspicious prints: counted, never dropped silently
            feed.on_reject = self.on_reject  # type: ignore[attr-defined]
        self._halt = asyncio.Event()
        self._day_ends = DayEnds(calendar)
        self._second = -1

    # -- event path -------------------------------------------------------------------------------------------
    def on_event(self, event: MarketEvent) -> None:
        """The feed's handler: count, move a simulated clock to the event, hand it to the pipeline."""
        pipeline = self.pipeline
        assert pipeline is not None, "Collector.run starts the pipeline"
        if self._halt.is_set():
            return
        when = event_time(event)
        if self.until is not None and when >= self.until:
            self._reach_until()
            return
        clock = self.clock
        if isinstance(clock, SimulatedClock):
            # The data's own time: bars close on the aggregator's timers as the clock follows the events, and the
            # gate's gap check runs once per second of data (a one-second timer would fire through every night).
            if when > clock.now():
                clock.advance_to(when)
            second = int(when.timestamp())
            if second > self._second:
                self._second = second
                pipeline.on_time(when)
                self._check_session_end(when)
        if isinstance(event, Tick):
            s = self.summary.symbol(event.symbol)
            s.received += 1
            s.sources[event.source or self.feed.name] += 1
            if self.symbols and event.symbol not in self.symbols:
                s.rejected[NOT_SUBSCRIBED] += 1
                return
        pipeline.on_event(event)

    def on_reject(self, rejection: Rejection) -> None:
        """Count a rejection (the gate's, the aggregator's, or a feed's own such as a replay's suspicious prints)."""
        s = self.summary.symbol(rejection.tick.symbol)
        if rejection.stage == "aggregator":
            s.late_for_bars += 1
        else:
            if rejection.stage != "gate":  # refused before the gate: never reached on_event
                s.received += 1
            s.rejected[rejection.reason] += 1

    def _on_local(self, topic: str, message: Any) -> None:
        if isinstance(message, Tick) and topic.startswith("ticks."):
            s = self.summary.symbol(message.symbol)
            s.accepted += 1
            if s.first is None or message.ts < s.first:
                s.first = message.ts
            if s.last is None or message.ts > s.last:
                s.last = message.ts
        elif isinstance(message, Bar) and topic.startswith("bars."):
            self.summary.symbol(message.symbol).bars += 1
        if self.bus.has_subscribers(topic):
            self.bus.publish(topic, message)

    # -- run --------------------------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> CollectSummary:
        """Collect until ``stop`` is set, ``until`` is reached or the feed ends; return the summary."""
        cc = self.config.collector
        self.spool.open()
        try:
            self.summary.spool_torn_bytes = self.spool.torn_bytes
            if self.spool.torn_bytes:
                log.warning("collector.spool_tail_cut", spool=str(self.spool.path), bytes=self.spool.torn_bytes,
                            note="the last spool write of the previous run was interrupted by a crash")
            self.durable = durable = SpoolingStore(self._recording, self.spool, self._is_outage)
            if durable.spooling:
                log.info("collector.spool_found", spool=str(self.spool.path), note="replayed before new data")
                await asyncio.to_thread(durable.replay)
            self.pipeline = pipeline = MarketDataPipeline(
                self.config.marketdata, self.clock, self.local, lambda _s: self.calendar, durable,
                on_reject=self.on_reject)
            recorder = pipeline.recorder
            assert recorder is not None
            if isinstance(self.feed, FeedSupervisor):  # its switches go to the recorder and the bus given
                self.feed.bus = self.feed.bus or self.local
                self.feed.latency = self.feed.latency or pipeline.latency
            recorder.batch = cc.batch
            recorder.hold = timedelta(seconds=self.config.marketdata.gate.out_of_order_tolerance_seconds)
            if not isinstance(self.clock, SimulatedClock):
                # In real time the first bar of each timeframe began before the collector did: it is published,
                # but not stored as if it were whole (its ticks are stored).
                started = self.clock.now()
                recorder.detach(self.local)
                self.local.subscribe("bars.>", lambda _t, bar: recorder.on_bar(bar) if bar.start >= started
                                     else self._partial_bar(bar))
                self.local.subscribe("feed.*", recorder.on_feed_event)
            self.local.subscribe(">", self._on_local)
            if self.symbols:
                self.feed.subscribe(self.symbols)
            if not isinstance(self.clock, SimulatedClock):
                pipeline.start()  # gap checks and bar closing every second of the wall clock
            feed_task = asyncio.ensure_future(self.feed.serve(self.on_event, self._halt))
            log.info("collector.started", feed=self.feed.name,
                     symbols=self.symbols or sorted(self.feed.subscribed), spool=str(self.spool.path))
            try:
                await self._housekeep(stop, feed_task)
            finally:
                self._halt.set()
                try:
                    with contextlib.suppress(asyncio.CancelledError):
                        await feed_task  # raises what ended the feed (a file it cannot read, a store error)
                finally:
                    # At the end of the data every bar is as complete as it will be; stopped earlier, a bar still
                    # open is partial and stays out of the store (its ticks are stored; it can be rebuilt).
                    pipeline.stop(flush_bars=self._data_ended(feed_task, stop))
                    if durable.spooling:  # one last try, so a short outage leaves nothing behind
                        await asyncio.to_thread(durable.replay)
                    self._finish(stop)
        finally:
            self.spool.close()
        return self.summary

    async def _housekeep(self, stop: asyncio.Event, feed_task: asyncio.Future[None]) -> None:
        cc = self.config.collector
        loop = asyncio.get_running_loop()
        durable = self.durable
        recorder = self.pipeline.recorder if self.pipeline is not None else None
        assert durable is not None
        assert recorder is not None
        last_flush = loop.time()
        delay = cc.retry_initial_seconds
        next_retry = loop.time() + delay
        replaying: asyncio.Future[bool] | None = None
        was_spooling = durable.spooling
        stopper: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
        try:
            while not (stop.is_set() or self._halt.is_set() or feed_task.done()):
                await asyncio.wait((stopper, feed_task), timeout=0.25, return_when=asyncio.FIRST_COMPLETED)
                now = loop.time()
                if isinstance(self.clock, LiveClock):
                    self.clock.run_due()
                    wall = self.clock.now()
                    self._check_session_end(wall)
                    if self.until is not None and wall >= self.until:
                        self._reach_until()
                        break
                if now - last_flush >= cc.flush_seconds:
                    recorder.flush_ready()
                    last_flush = now
                if durable.spooling and not was_spooling:
                    delay, next_retry = cc.retry_initial_seconds, now + cc.retry_initial_seconds
                was_spooling = durable.spooling
                if replaying is not None and replaying.done():
                    ok = replaying.result()  # a write the database refuses for good stops the collector here
                    replaying = None
                    delay = cc.retry_initial_seconds if ok else min(delay * 2, cc.retry_max_seconds)
                    next_retry = now + delay
                    if not ok:
                        log.warning("collector.database_still_out", retry_in_s=delay, error=durable.last_error)
                if durable.spooling and replaying is None and now >= next_retry:
                    replaying = asyncio.ensure_future(asyncio.to_thread(durable.replay))
        finally:
            stopper.cancel()
        if replaying is not None:
            await replaying
        if stop.is_set() and not self.summary.stop_reason:
            self.summary.stop_reason = "stopped"
        if feed_task.done() and not self.summary.stop_reason:
            self.summary.stop_reason = "the feed ended"

    # -- session ends and the summary ---------------------------------------------------------------------------
    def _check_session_end(self, now: datetime) -> None:
        if self._day_ends.passed(now) and self.on_session_end is not None:
            self.on_session_end(self.snapshot())

    def snapshot(self) -> CollectSummary:
        """The summary so far, with the store's counts filled in."""
        durable = self.durable
        if durable is not None:
            for symbol in set(durable.stored) | set(durable.known) | set(durable.spooled) | set(durable.replayed):
                s = self.summary.symbol(symbol)
                s.stored, s.known = durable.stored[symbol], durable.known[symbol]
                s.spooled, s.replayed = durable.spooled[symbol], durable.replayed[symbol]
            self.summary.outages = durable.outages
        return self.summary

    def _partial_bar(self, bar: Bar) -> None:
        log.info("collector.partial_bar_not_stored", symbol=bar.symbol, timeframe=bar.timeframe,
                 start=bar.start.isoformat(), note="it began before the collector started")

    def _reach_until(self) -> None:
        """Stop at ``until``: no tick before it can come any more, so every bar that ends by then is complete."""
        assert self.until is not None
        self.summary.stop_reason = f"reached --until {self.until.isoformat()}"
        self._halt.set()
        if self.pipeline is not None:
            lateness = timedelta(seconds=self.config.marketdata.bars.lateness_seconds)
            self.pipeline.bars.on_time(self.until + lateness)

    def _data_ended(self, feed_task: asyncio.Future[None], stop: asyncio.Event) -> bool:
        """Whether the feed delivered all it had (a replay's end), rather than being stopped or failing."""
        if stop.is_set() or self.summary.stop_reason.startswith("reached --until"):
            return False
        return feed_task.done() and not feed_task.cancelled() and feed_task.exception() is None

    def _count_file_rejections(self) -> None:
        """Rows a replayed file could not give as ticks (unreadable, out of order in the file) count as received
        and rejected with the reader's reason, so the summary accounts for every line."""
        from theo.adapters.sim.replay import ReplayFeed

        feed = self.feed.inner if isinstance(self.feed, PacedFeed) else self.feed
        if not isinstance(feed, ReplayFeed):
            return
        symbol_of = dict(feed.paths)
        for path, rejections in feed.file_rejections.items():
            s = self.summary.symbol(symbol_of.get(path, path.name))
            s.received += len(rejections)
            s.rejected.update(r.reason for r in rejections)

    def _finish(self, stop: asyncio.Event) -> None:
        self._count_file_rejections()
        self.snapshot()
        self.summary.ended = datetime.now(UTC)
        self.summary.spool_pending = self.spool.pending()
        if not self.summary.stop_reason:
            self.summary.stop_reason = "stopped" if stop.is_set() else "the feed ended"
        log.info("collector.stopped", **{k: v for k, v in self.summary.as_dict().items() if k != "symbols"})
