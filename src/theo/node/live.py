"""``theo run --broker ibkr``: the node on TWS / IB Gateway, its market data and its orders, in real time.

The node is the backtest's and the paper run's (:func:`theo.node.kernel.build_node`), on the wall clock,
with the IBKR broker adapter and the records in the configured database. One asyncio loop runs everything:
``ib_async``'s socket, the market data, the node and the timers, so a tick reaches the strategies and an
order reaches the socket without a thread hop.

Life of a run:

1. connect (with back-off; the account check refuses a live account without ``--live``);
2. ``ib_async`` fetches TWS's open and completed orders, executions and positions; the broker adapter
   rebuilds its index of our orders by ``orderRef`` and cancels stray incarnations;
3. the strategies are warmed up on IBKR's recent 1-minute history (``warmup_days``), trading off;
4. the order service reconciles the journal with TWS and the trade manager rebuilds its trades; a difference
   that cannot be explained (a fill or an order of an unknown ``orderRef``, a position the journal does not
   have) halts trading (HALTED: nothing new is sent, protective orders keep working) with an alert;
5. the market data is subscribed; ticks go through the quality gate, the latency monitor, the bar
   aggregator and the recorder (:class:`~theo.data.pipeline.MarketDataPipeline`) and then to the node. With
   ``[feeds] secondary`` set, IBKR's feed is the primary of a :class:`~theo.data.supervisor.FeedSupervisor`
   that moves a symbol to the secondary feed while IBKR's is stale or down; while no feed is fresh the
   node's feed guard holds trading at REDUCING (:mod:`theo.node.feed_guard`);
6. on every reconnect steps 2 and 4 run again before an order can go out; 1101 and restarts resubscribe the data.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from theo.adapters.ibkr.connection import IbkrSession
from theo.adapters.ibkr.data import IbkrMarketData
from theo.adapters.ibkr.errors import IbkrError
from theo.adapters.ibkr.execution import IbkrBroker
from theo.config import TheoConfig
from theo.core.clock import Clock, LiveClock
from theo.core.histogram import LAG_SECONDS, Histogram
from theo.core.logging import get_logger
from theo.core.time import to_us
from theo.data.failover.backfill import Backfill
from theo.data.feeds.base import Feed
from theo.data.feeds.pushed import FeedTask, PushedFeed
from theo.data.pipeline import MarketDataPipeline
from theo.data.supervisor import FeedSupervisor
from theo.execution.broker import Broker
from theo.execution.reconciliation import ReconcileReport
from theo.model.enums import RunStatus, SignalStatus
from theo.model.instruments import Instrument
from theo.model.market import Bar, Quote, Tick
from theo.model.signals import SignalOutcome
from theo.node.feeds import supervised
from theo.node.kernel import Mode, Node, build_node
from theo.node.paper import RunState, account_stores, timing_counters
from theo.node.pnl import AccountRealized
from theo.node.runs import RunStore, wall_now
from theo.node.stream import StreamDriver
from theo.persistence.repositories import Store
from theo.risk.state import BROKER_LINK
from theo.strategy.base import Strategy

log = get_logger("theo.node.live")
#: The resolution of the exchange times IBKR gives trade prints (tick-by-tick "AllLast": Unix seconds).
IBKR_STAMP_RESOLUTION = timedelta(seconds=1)

MarketHandler = Callable[[Tick | Bar | Quote], None]


class LiveFeed(Protocol):
    """Real-time market data for the live run (the IBKR adapter's market data service)."""

    async def start(self, symbols: Sequence[str], handler: MarketHandler) -> None: ...

    async def stop(self) -> None: ...


class LiveRun:
    """One ``theo run --broker ibkr`` (see the module docstring)."""

    def __init__(self, config: TheoConfig, db: Store, *, live: bool = False, duration: float | None = None,
                 clock: LiveClock | None = None, strategies: Sequence[Strategy] | None = None,
                 feed: Callable[[IbkrSession], LiveFeed] | None = None,
                 on_alert: Callable[[str, str], None] | None = None, secondary: Feed | None = None,
                 backfill: Backfill | None = None) -> None:
        """``clock``: the wall clock (a test shifts it into a session); ``strategies`` replace the config's
        objects (their names must still be configured); ``feed`` builds the market data (default: IBKR's);
        ``secondary`` is the fail-over feed (default: ``[feeds] secondary``) and ``backfill`` its history."""
        self.config = config
        self.db = db
        self.duration = duration
        self.clock = clock or LiveClock()
        self.alerts: list[tuple[datetime, str, str]] = []
        self._on_alert = on_alert
        self.session = IbkrSession(config.execution.ibkr, live=live, on_alert=self.alert, now=self.clock.now)
        from theo.persistence.repositories.runs import SqlRunStore

        self.store = RunStore(SqlRunStore(db))

        def make_broker(clock: Clock, instruments: dict[str, Instrument]) -> Broker:
            return IbkrBroker(self.session, config.execution, clock, instruments)

        self.node: Node = build_node(config, Mode.LIVE, stores=account_stores(config, db, self.clock, "ibkr"),
                                     clock=self.clock, broker=make_broker, strategies=strategies)
        self.broker: IbkrBroker = self.node.broker  # type: ignore[assignment]
        self.broker.on_ack_timeout = self._ack_timed_out
        self.realized = AccountRealized(self.node.manager)
        self.node.signals.listener = self.store.on_signal
        from theo.core.calendar import et_date
        from theo.node.raw_splits import watch_splits
        from theo.persistence.repositories.corporate_actions import CorporateActionRepository

        # The feed's bars are raw, the warm-up history (IBKR's) adjusted up to today: a later ex-date puts the
        # strategies' windows on the split's new basis.
        self.splits = watch_splits(self.node, CorporateActionRepository(db), since=et_date(self.clock.now()))
        self.session.on_ready.append(self._after_connect)  # after the broker's own resync
        from theo.persistence.repositories.market_data import MarketDataRepository

        self.pipeline = MarketDataPipeline(config.marketdata, self.clock, self.node.bus, self.node.calendar_of,
                                           MarketDataRepository(db))
        self.market_data: IbkrMarketData | None = None
        self.supervisor: FeedSupervisor | None = None
        self.feed = feed(self.session) if feed is not None else self._market_feed(secondary, backfill)
        if self.node.feed_guard is not None:
            self.node.feed_guard.alert = lambda level, text: self.alert(level, text, "marketdata")
        self.driver = StreamDriver(self.node, {s: "tick" for s in self.node.symbols})
        self.node.bus.subscribe("ticks.*", lambda _t, tick: self._to_node(tick))
        #: Seconds from each bar's end to its publication on the bus, per timeframe (``theo_bar_lag_seconds``).
        self.bar_lag: dict[str, Histogram] = {}
        self.node.bus.subscribe("bars.>", self._bar_published)
        self.stop = asyncio.Event()
        self.state = RunState()  # what the status view shows
        self.feed_name = "ibkr"
        self.late = 0
        self.started = False
        self.connected = False  # the run reached TWS at least once
        self.warmed = 0  # 1-minute bars of history fed to the strategies at start
        self.reconcile_reports: list[ReconcileReport] = []
        self._tasks: set[asyncio.Future[None]] = set()

    # -- alerts and reconciliation -------------------------------------------------------------------------
    def alert(self, level: str, text: str, source: str = "ibkr") -> None:
        """An operator alert: logged, kept, published on the bus (``alerts``) for Telegram and the dashboard."""
        self.alerts.append((wall_now(), level, text))
        self.node.bus.publish("alerts", {"level": level, "text": text, "source": source})
        if self._on_alert is not None:
            self._on_alert(level, text)

    async def _after_connect(self, reconnect: bool) -> None:
        if not reconnect or not self.started:
            return
        report = self.node.service.reconcile()
        self._judge(report, "reconnect")
        self.node.manager.recover()

    def _judge(self, report: ReconcileReport, when: str) -> None:
        self.reconcile_reports.append(report)
        log.info("ibkr.reconciled", when=when, summary=report.summary())
        if report.clean:
            return
        parts = []
        if report.position_diffs:
            parts.append("positions differ: " + ", ".join(
                f"{sym} journal {a} vs IBKR {b}" for sym, (a, b) in sorted(report.position_diffs.items())))
        if report.orphan_orders:
            parts.append(f"orders at IBKR unknown to the journal: {', '.join(report.orphan_orders)}")
        if report.orphan_fills:
            parts.append(f"fills at IBKR of unknown orders: {', '.join(report.orphan_fills)}")
        why = f"reconciliation with IBKR after {when} failed: " + "; ".join(parts)
        self.node.manager.state.halt(why, BROKER_LINK)
        self.alert("critical", why + ". Trading is HALTED (protective orders keep working); check the account in "
                               "TWS, then `theo risk resume`")

    def _ack_timed_out(self, cid: str, why: str) -> None:
        order = self.node.service.lookup(cid)
        if order is None:
            return
        self.node.service.mark_unknown(order, why)
        if self.session.ready:
            task = asyncio.ensure_future(self._resolve(cid))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _resolve(self, cid: str) -> None:
        """Ask TWS about an unanswered order: its open and completed orders and the executions."""
        ib = self.session.ib
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ib.reqOpenOrdersAsync(), self.config.execution.ibkr.request_timeout_seconds)
            await asyncio.wait_for(ib.reqCompletedOrdersAsync(False),
                                   self.config.execution.ibkr.request_timeout_seconds)
            await asyncio.wait_for(ib.reqExecutionsAsync(), self.config.execution.ibkr.request_timeout_seconds)
        self.broker.resync()
        order = self.node.service.get_order_status(cid)
        log.info("ibkr.unknown_resolved", order=cid, status=order.status.value)

    # -- market data -----------------------------------------------------------------------------------------
    def _check_capital(self) -> None:
        """Risk limits and sizing read ``[market] capital``: warn when the IBKR account holds less."""
        values = self.broker.account_values()
        capital = self.config.market.capital
        log.info("ibkr.account", account=self.session.account, net_liquidation=str(values.equity),
                 cash=str(values.cash), buying_power=str(values.buying_power))
        if values.equity and capital > values.equity:
            self.alert("warning", f"[market] capital = {capital} USD, but IBKR account {self.session.account} is "
                                  f"worth {values.equity} USD (NetLiquidation): risk limits and sizing use the "
                                  f"capital; lower it to what the account holds")

    async def _warm_up(self) -> int:
        """Feed ``warmup_days`` of IBKR's 1-minute bars to the strategies (the node is still recovering, so
        nothing is routed); return the bars fed. A symbol without history starts cold, with a warning."""
        days = self.config.execution.ibkr.warmup_days
        feed = self.market_data
        if not days or feed is None:
            return 0
        now = self.clock.now()
        items: list[tuple[int, int, Bar]] = []
        for rank, symbol in enumerate(self.node.symbols):
            try:
                bars = await feed.get_historical_data(symbol, "1m", start=now - timedelta(days=days), end=now)
            except IbkrError as exc:
                log.warning("ibkr.warmup_unavailable", symbol=symbol, error=str(exc),
                            note="its strategies start without history")
                continue
            items.extend((to_us(b.start), rank, b) for b in bars if b.end <= now)
        items.sort(key=lambda item: (item[0], item[1]))
        driver = StreamDriver(self.node, {s: "1m" for s in self.node.symbols})
        for _, _, b in items:
            driver.on_item(b.symbol, to_us(b.start), to_us(b.end), b.open, b.high, b.low, b.close, b.volume)
        if items:
            driver.advance(max(to_us(b.end) for _, _, b in items))
        self.warmed = len(items)
        log.info("run.warmed_up", bars=len(items), days=days)
        return len(items)

    async def _option_chains(self) -> None:
        """Scanners that trade options pick their strikes on IBKR's listed chain, loaded once at start."""
        feed = self.market_data
        if feed is None:
            return
        for scanners in self.node.scanners.values():
            for scanner in scanners:
                if scanner.d.instrument_type != "OPTION":
                    continue
                scanner.strikes = feed.listed_strikes
                for symbol in scanner.d.symbols or self.node.symbols:
                    try:
                        await feed.get_option_chain(symbol)
                    except IbkrError as exc:  # the scanner falls back to the assumed strike spacing
                        log.warning("ibkr.option_chain_unavailable", symbol=symbol, error=str(exc))

    def _market_feed(self, secondary: Feed | None, backfill: Backfill | None) -> LiveFeed:
        """IBKR's market data, alone or as the primary of a fail-over supervisor (``[feeds] secondary``)."""
        from theo.adapters.ibkr.data import IbkrMarketData
        from theo.core.calendar import get_calendar
        from theo.persistence.repositories.corporate_actions import CorporateActionRepository

        market = self.config.market
        ibkr = self.market_data = IbkrMarketData(self.session, calendar=get_calendar(market.calendar, market),
                                                 corporate_actions=CorporateActionRepository(self.db),
                                                 now=self.clock.now)
        feed = supervised(self.config, PushedFeed("ibkr", ibkr, lambda: self.session.ready), self.node.calendar_of,
                          now=self.clock.now, secondary=secondary, backfill=backfill, bus=self.node.bus,
                          latency=self.pipeline.latency)
        if not isinstance(feed, FeedSupervisor):
            return ibkr
        self.supervisor = feed
        return FeedTask(self.supervisor)

    def _bar_published(self, _topic: str, bar: object) -> None:
        """Time a published bar against the run's clock (the wall clock in a live run, where bar ends are
        wall-clock times): how long after its end the strategies and the recorder see it (the aggregator
        waits ``lateness_seconds`` for late prints). One clock read per bar."""
        if isinstance(bar, Bar):
            lag = self.bar_lag.get(bar.timeframe)
            if lag is None:
                lag = self.bar_lag[bar.timeframe] = Histogram(LAG_SECONDS)
            lag.observe((self.clock.now() - bar.end).total_seconds())

    def _to_node(self, tick: Tick) -> None:
        if not self.started:
            return
        us = to_us(tick.ts)
        if us < self.driver.now:
            self.late += 1  # the node's time has moved past it (bars closed): it is recorded, not traded on
            return
        self.driver.on_item(tick.symbol, us, us, tick.price, tick.price, tick.price, tick.price, tick.size)
        st = self.state
        st.items += 1
        st.ticks[tick.symbol] = st.ticks.get(tick.symbol, 0) + 1
        st.last_price[tick.symbol] = tick.price
        st.sim_now = tick.ts

    # -- the run ------------------------------------------------------------------------------------------------
    def counters(self) -> dict[str, Any]:
        manager = self.node.manager
        trades = manager.trades()
        closed = [t for t in trades if not t.is_open]
        latency = {f"{feed}:{sym}": {"p50_ms": round(s.p50, 2), "p95_ms": round(s.p95, 2), "p99_ms": round(s.p99, 2),
                                     "n": s.count}
                   for (feed, sym), s in self.pipeline.latency.snapshot().items()}
        histogram = {f"{feed}:{sym}": {"buckets": counts, "sum": round(total, 3)}
                     for (feed, sym), (counts, total) in self.pipeline.latency.histogram().items()}
        return {"items": self.state.items, "late_ticks": self.late, "signals": len(self.node.signals),
                "signals_executed": self.node.signals.counts.get(SignalStatus.EXECUTED, 0),
                "orders": len(self.node.service.orders), "trades": len(trades),
                "open_trades": len(trades) - len(closed),
                "realized_pnl": str(self.realized()), "rejected_ticks": len(self.pipeline.rejected),
                "ibkr": self.session.health(), "latency": latency,
                "latency_histogram": histogram, "alerts": len(self.alerts),
                "feeds": self.supervisor.status() if self.supervisor is not None else None,
                "sim_now": wall_now().isoformat(), "last_price": dict(sorted(self.state.last_price.items())),
                "ticks": dict(sorted(self.state.ticks.items())), **timing_counters(self.node.service.journal),
                "splits_applied": list(self.splits.applied),
                "bar_lag_seconds": {tf: h.snapshot() for tf, h in sorted(self.bar_lag.items())}}

    def recent_signals(self, n: int = 5) -> list[SignalOutcome]:
        return self.node.signals.last(n)

    def flush(self, status: RunStatus = RunStatus.RUNNING, stopped: datetime | None = None) -> None:
        self.store.flush(wall_now(), self.counters(), self.node.checkpoint(), status, stopped)

    async def run(self, on_status: Callable[[LiveRun], None] | None = None) -> RunStatus:
        """Connect, reconcile, trade until stopped (or ``duration``); return the final status."""
        cfg = self.config.engine
        self.store.start(Mode.LIVE.value, "ibkr", "", wall_now(), stale_after=max(3 * cfg.heartbeat_seconds, 15.0))
        self.state.run_id = self.store.run_id
        log.info("run.started", run=self.store.run_id, mode="ibkr", host=self.session.config.host,
                 port=self.session.config.port)
        status = RunStatus.STOPPED
        supervisor: asyncio.Task[None] | None = None
        try:
            if not await self._connect():
                return status
            self.connected = True
            self._check_capital()
            await self._warm_up()  # the strategies see recent history, trading off
            found = self.node.start()  # reconcile with TWS, rebuild open trades from the journal
            if isinstance(self.node.reconciled, ReconcileReport):
                self._judge(self.node.reconciled, "start")
            log.info("run.reconciled", **{k: v for k, v in found.items() if k != "reconciled"})
            self.started = True
            self.pipeline.start()
            await self.feed.start(self.node.symbols, self.pipeline.on_event)
            await self._option_chains()
            supervisor = asyncio.ensure_future(self.session.run())
            self.flush()
            await self._loop(on_status)
        finally:
            self.started = False
            if supervisor is not None:
                supervisor.cancel()
            with contextlib.suppress(Exception):
                await self.feed.stop()
            self.pipeline.stop()
            self.flush(status, wall_now())
            self.node.stop()
            await self.session.close()
            log.info("run.stopped", run=self.store.run_id, status=status.value)
        return status

    async def _connect(self) -> bool:
        """Connect (retrying with back-off) until connected, stopped or ``duration`` is over; False if not."""
        connecting = asyncio.ensure_future(self.session.connect())
        stopping = asyncio.ensure_future(self.stop.wait())
        done, _ = await asyncio.wait({connecting, stopping}, timeout=self.duration,
                                     return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if connecting not in done:
            connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await connecting
            log.warning("run.not_connected", error=self.session.last_error)
            return False
        connecting.result()  # an account refusal is raised here
        return True

    async def _loop(self, on_status: Callable[[LiveRun], None] | None) -> None:
        cfg = self.config
        t0 = asyncio.get_running_loop().time()
        # IBKR stamps tick-by-tick prints in whole seconds (a print at :10.7 says :10): the node's time lags
        # the wall clock by that second on top of the lateness, or a small lateness would drop most prints.
        lateness = timedelta(seconds=cfg.marketdata.bars.lateness_seconds) + IBKR_STAMP_RESOLUTION
        last_beat = last_sweep = last_status = t0
        while not self.stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), timeout=0.25)
            now_loop = asyncio.get_running_loop().time()
            self.clock.run_due()
            # Bars close on time even when no tick comes (a quiet symbol, a lost feed).
            self.driver.advance(max(self.driver.now, to_us(self.clock.now() - lateness)))
            if now_loop - last_sweep >= cfg.risk.trade.sweep_seconds:
                self.node.sweep(self.clock.now())
                last_sweep = now_loop
            if now_loop - last_beat >= cfg.engine.heartbeat_seconds:
                self.flush()
                last_beat = now_loop
            if on_status is not None and now_loop - last_status >= cfg.engine.status_interval:
                on_status(self)
                last_status = now_loop
            if self.duration is not None and now_loop - t0 >= self.duration:
                break

    def install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop.set)
