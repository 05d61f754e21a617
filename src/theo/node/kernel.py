"""The node: one object graph for backtest, paper and live; the drivers push market data into it.

:func:`build_node` is the one place that differs by mode, and only in the clock, the broker adapter and
where the records live:

* ``backtest``: simulated clock, the simulated broker in memory, an in-memory order journal
  (:class:`~theo.execution.journal.MemoryJournal`), trades and risk decisions in memory;
* ``paper``: simulated clock (replay or synthetic market, paced by the wall clock), the simulated broker with
  its state file, the order journal, trades, decisions and trading state in the configured database, the
  single-writer lock;
* ``live``: the wall clock, the Interactive Brokers adapter (:mod:`theo.adapters.ibkr`) built by the live run
  (:mod:`theo.node.live`), and the paper run's database-backed records. The broker works the orders itself:
  the node only feeds the strategies and the trade manager.

Strategies, scanner gates, the trade manager with its sizing and pre-trade checks, the order service and the
fill rules are the same objects in every mode. The life of an item (a bar or a tick) is :meth:`Node.on_item`;
the life of a signal is :meth:`Node.route`.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from theo.adapters.sim.execution import SimulatedBroker
from theo.config import TheoConfig
from theo.core.bus.memory import InMemoryBus
from theo.core.calendar import ET, MarketCalendar, et_date, get_calendar
from theo.core.clock import Clock, SimulatedClock
from theo.core.errors import ConfigError, OrderValidationError
from theo.core.logging import get_logger
from theo.execution.broker import Broker
from theo.execution.journal import MemoryJournal, OrderJournal
from theo.execution.service import Lease, OrderService
from theo.model.enums import SignalStatus
from theo.model.instruments import Instrument, equity
from theo.model.orders import Order
from theo.model.signals import Signal, SignalOutcome
from theo.node.records import SignalLog
from theo.risk.decisions import DecisionLog
from theo.risk.state import TradingState
from theo.strategy.base import Strategy
from theo.strategy.scanner.scanner import Scanner
from theo.trading.manager import StrategyTerms, TradeManager, TradeStore

if TYPE_CHECKING:
    from theo.node.feed_guard import FeedGuard
    from theo.persistence.checkpoint import Checkpointer

log = get_logger("theo.node")


class Mode(StrEnum):
    BACKTEST = "backtest"
    PAPER = "paper"
    LIVE = "live"


def signal_id(sig: Signal) -> int:
    """A stable 62-bit id of a signal (strategy, symbol, side, kind, time): its entry order id follows from it,
    so the same signal seen again after a restart finds its order instead of sending another, and a paper
    replay names its orders and trades as the backtest of the same data does."""
    return signal_key_id(sig.strategy, sig.symbol, sig.side.value, sig.exit, sig.ts.isoformat())


def signal_key_id(strategy: str, symbol: str, side: str, exit: bool, ts_iso: str) -> int:
    """:func:`signal_id` from a signal's recorded fields (the run journal keeps them, not the signal)."""
    key = f"{strategy}|{symbol}|{side}|{int(exit)}|{ts_iso}"
    return int(hashlib.sha256(key.encode()).hexdigest()[:16], 16) >> 2


def instruments_for(symbols: Sequence[str]) -> dict[str, Instrument]:
    """Instruments of the node's symbols: U.S. stocks and ETFs (risk, margin and charges treat them alike)."""
    return {s: equity(s) for s in symbols}


@dataclass
class Stores:
    """Where a paper or live node keeps its records (built from the database by the composition root)."""

    journal: OrderJournal
    trades: TradeStore | None = None
    state: TradingState | None = None
    decisions: DecisionLog | None = None
    lock: Lease | None = None
    broker_state: Path | None = None
    checkpointer: Checkpointer | None = None


@dataclass
class Node:
    """Strategies, scanner gates, trade manager, order service and broker of one run (see the module docstring)."""

    config: TheoConfig
    mode: Mode
    clock: Clock
    bus: InMemoryBus
    strategies: list[Strategy]
    scanners: dict[str, list[Scanner]]
    symbols: list[str]
    broker: Broker
    service: OrderService
    manager: TradeManager
    sim: SimulatedBroker | None = None  # the broker when it is simulated: the node shows it the market
    signals: SignalLog = field(default_factory=SignalLog)
    dirty: set[str] = field(default_factory=set)  # symbols whose orders changed since the driver last looked
    recovering: bool = False  # catching up after a restart: strategies are fed, nothing is routed
    checkpointer: Checkpointer | None = None  # WAL checkpoints off the order path (paper and live)
    last_evaluated: dict[str, datetime] = field(default_factory=dict)  # scanner exits: per strategy
    _calendars: dict[str, MarketCalendar] = field(default_factory=dict)
    on_signal: Callable[[SignalOutcome], None] | None = None
    reconciled: Any = None  # the start-up reconciliation report
    feed_guard: FeedGuard | None = None  # paper and live: REDUCING while a symbol has no fresh market data
    _next_day: datetime | None = None  # the ET midnight after the session the market data is in
    on_day: Callable[[date], None] | None = None  # paper and live: a new ET day begins (stored splits)

    # -- signals --------------------------------------------------------------------------------------------
    def route(self, strategy_index: int, sig: Signal) -> SignalOutcome | None:
        """Gate one signal through its strategy's scanners, then hand it to the trade manager; record the outcome."""
        if self.recovering:
            return None
        if sig.strategy in self.scanners:
            refused = self.scan(strategy_index, sig)
            if refused:
                outcome = SignalOutcome(sig, SignalStatus.CANCELLED, refused)
                self.signals.add(outcome)
                return outcome
        return self.decide(sig)

    def decide(self, sig: Signal) -> SignalOutcome:
        """The trade manager's decision on a signal that passed its gates."""
        if self.bus.has_subscribers("signals.new"):
            self.bus.publish("signals.new", sig)
        outcome = self.manager.on_signal(sig, signal_id=signal_id(sig))
        self.signals.add(outcome)
        return outcome

    def scan(self, strategy_index: int, sig: Signal) -> str:
        """Pass ``sig`` through its strategy's scanners (plan §3 gates); the refusal, or "" when one takes it."""
        values = getattr(self.strategies[strategy_index], "values", None)
        reasons = []
        for scanner in self.scanners[sig.strategy]:
            try:
                if scanner.accept(sig, values) is not None:
                    return ""
                why = scanner.last_refusal
            except OrderValidationError as exc:
                why = str(exc)
            reasons.append(f"scanner {scanner.d.name}: {why}")
        return "; ".join(reasons)

    # -- market data ----------------------------------------------------------------------------------------
    # Every driver follows the same order at each instant t (it is what makes backtest, replay and live agree):
    #   1. the range step of the bars that end at t (:meth:`close_item`),
    #   2. the marks of every item completed by then (:meth:`mark`),
    #   3. due timers (:meth:`advance`), 4. the signals of t (:meth:`route`),
    #   5. the items that start at t (:meth:`open_item`).
    def open_item(self, symbol: str, start: datetime, end: datetime, o: float, h: float, lo: float, c: float,
                  v: float, regular: bool) -> None:
        """An item starts: a tick (``start == end``) is worked whole; a bar is worked at its open only."""
        if self.recovering:
            return
        sim = self.sim
        if start == end:
            if sim is not None:
                sim.work(symbol, start, end, o, h, lo, c, v, regular)
            self.manager.on_item(symbol, h, lo)
        elif sim is not None:
            sim.work_open(symbol, start, o, v, regular)

    def close_item(self, symbol: str, start: datetime, end: datetime, o: float, h: float, lo: float, c: float,
                   v: float, regular: bool) -> None:
        """A bar ends: its range is worked (stops, limits, trailing stops), then the trade manager sees it."""
        if self.recovering:
            return
        clock = self.clock
        if isinstance(clock, SimulatedClock):
            clock.move_to(end)
        if self.sim is not None:
            self.sim.work_range(symbol, start, end, o, h, lo, c, v, regular)
        self.manager.on_item(symbol, h, lo)

    def mark(self, symbol: str, price: float) -> None:
        """The last price of ``symbol`` for the account's valuation (a completed item's close)."""
        self.manager.portfolio.mark(symbol, price)

    def advance(self, now: datetime) -> None:
        """Time reaches ``now``: due timers fire (time exits, DAY expiries), in time order.

        The first instant of an ET day, catching up or not, fixes the marks the day's start is valued at (the
        previous closes: the instant's own items are marked later), so a rebuilt account's start-of-day
        figures are the uninterrupted run's; then ``on_day`` runs, before any of the day's bars reach the
        strategies (a running session puts their windows on a split's new basis there).
        """
        if self._next_day is None or now >= self._next_day:
            day = et_date(now)
            self.manager.portfolio.open_day(day)
            self._next_day = datetime.combine(day + timedelta(days=1), dtime(), ET)
            if self.on_day is not None:
                self.on_day(day)
        clock = self.clock
        if isinstance(clock, SimulatedClock) and not self.recovering:
            clock.advance_to(now)

    def calendar_of(self, symbol: str) -> MarketCalendar:
        name = self.service.instruments[symbol].calendar if symbol in self.service.instruments \
            else self.config.market.calendar
        cal = self._calendars.get(name)
        if cal is None:
            cal = self._calendars[name] = get_calendar(name, self.config.market)
        return cal

    # -- life cycle -------------------------------------------------------------------------------------------
    def start(self, *, fresh: bool = False) -> dict[str, Any]:
        """Reconcile with the broker, rebuild trades from the journal, then trade; return what was found.

        ``fresh``: the journal is new and empty (a backtest), nothing to rebuild.
        """
        report = self.reconciled = self.service.start()
        fills = 0 if fresh else self.manager.recover().fills
        self.service.preload()  # the node is the journal's only writer (lock, or an in-memory journal)
        self.recovering = False
        found = {"orders": len(self.service.orders), "open_trades": len(self.manager.open_trade_list()),
                 "fills": fills, "reconciled": report.summary()}
        if self.service.orders and not fresh:
            log.info("node.recovered", **found)
        if self.checkpointer is not None:
            self.checkpointer.start()
        if self.mode is not Mode.BACKTEST:
            # What start-up built (config, calendars, history, rebuilt trades) lives as long as the node: out of
            # the cyclic collector's reach, a full collection on the order path walks only what trading adds.
            gc.collect()
            gc.freeze()
        return found

    def stop(self) -> None:
        if self.feed_guard is not None:
            self.feed_guard.close()
        self.manager.stop()
        self.service.stop()
        if self.mode is not Mode.BACKTEST:
            gc.unfreeze()
        self.service.journal.close()
        if self.manager.store is not None:
            self.manager.store.close()
        if self.checkpointer is not None:
            self.checkpointer.stop()

    def sweep(self, now: datetime) -> None:
        """The trade manager's safety net (kill switch from ``theo risk``, protection) and the lock heartbeat."""
        self.service.heartbeat()
        self.manager.sweep(now)

    def account_time(self) -> datetime | None:
        """The last market time the paper account's broker worked orders at (``None`` for a new account)."""
        if self.sim is None:
            return None
        return max(self.sim.state.last_seen.values(), default=None)

    def checkpoint(self) -> dict[str, Any]:
        positions = [{"id": t.entry_order_id, "strategy": t.strategy, "symbol": t.symbol, "side": t.side.value,
                      "quantity": str(t.open_qty), "entry_price": str(t.entry_price)}
                     for t in self.manager.trades(open_only=True) if t.entry_qty > 0]
        working = [{"id": o.client_order_id, "symbol": o.symbol, "side": o.side.value, "purpose": o.request.tag.value}
                   for o in self.service.orders.values() if o.is_open]
        return {"positions": sorted(positions, key=lambda p: p["id"]),
                "working_orders": sorted(working, key=lambda w: w["id"])}


def build_node(config: TheoConfig, mode: Mode, *, start: datetime | None = None,
               strategies: Sequence[Strategy] | None = None, stores: Stores | None = None,
               symbols: Sequence[str] = (), clock: Clock | None = None,
               broker: Callable[[Clock, dict[str, Instrument]], Broker] | None = None) -> Node:
    """Build the graph for ``mode``: the only place where backtest, paper and live differ.

    ``stores`` holds a paper run's database-backed records (``None`` for a backtest); ``symbols`` adds symbols
    the data has beyond those the strategies trade; ``broker`` builds a live run's broker (default: the
    simulated broker).
    """
    if mode is Mode.LIVE and broker is None:
        raise ConfigError("a live node needs its broker adapter (theo run --broker ibkr)")
    from theo.strategy.registry import build_strategies
    from theo.strategy.scanner.run import build_strategy

    clock = clock or SimulatedClock(start or config.engine.synthetic_start)
    bus = InMemoryBus(raise_errors=mode is Mode.BACKTEST)
    scanners: dict[str, list[Scanner]] = {}
    for d in config.scanner.scanners:
        scanners.setdefault(d.strategy, []).append(Scanner(d, config.market, None, config.scanner.user))
    if strategies is not None:
        strats = list(strategies)
    else:  # scanner rules may name indicator values the strategy then computes
        strats = build_strategies(config.strategies, lambda c: build_strategy(
            c, [r for s in scanners.get(c.name, []) for r in (*s.entry_rules, *s.exit_rules)]))
    names = list(symbols)
    for s in strats:
        for symbol, _tf in s.subscriptions:
            if symbol not in names:
                names.append(symbol)
    instruments = instruments_for(names)
    if stores is None:
        if mode is not Mode.BACKTEST:
            raise ConfigError("a paper run needs its database (the [database] url)")
        stores = Stores(MemoryJournal())
    sim: SimulatedBroker | None = None
    venue: Broker
    if broker is None:
        sim = SimulatedBroker(config.execution, clock, instruments, stores.broker_state, market=config.market)
        venue = sim
    else:
        venue = broker(clock, instruments)
    service = OrderService(venue, stores.journal, clock, instruments, bus, lock=stores.lock)
    terms = {c.name: StrategyTerms(c.sizing_policy, c.trail_pct, getattr(c, "type", ""),
                                        c.ss_type == "positional") for c in config.strategies}
    manager = TradeManager(service, clock, config.risk, market=config.market, bus=bus, store=stores.trades,
                           terms=terms, state=stores.state, decisions=stores.decisions)
    node = Node(config, mode, clock, bus, strats, scanners, names, venue, service, manager, sim=sim,
                recovering=mode is not Mode.BACKTEST, checkpointer=stores.checkpointer)
    track = manager.on_order

    def on_order(order: Order) -> None:
        node.dirty.add(order.request.symbol)
        track(order)

    service.listener = on_order
    if mode is Mode.BACKTEST:
        node.start(fresh=True)
    else:
        from theo.node.feed_guard import FeedGuard

        node.feed_guard = FeedGuard(bus, manager.state)
    return node


def check_broker(config: TheoConfig, broker: str, live: bool) -> None:
    """Refuse a ``theo run`` whose broker and mode disagree (before anything is created or recorded).

    The simulated broker is never live; a live account is traded only through IBKR, with ``--live`` (the
    account check itself happens when TWS names its accounts, see :mod:`theo.adapters.ibkr.connection`).
    """
    if broker == "simulated" and (live or config.app.mode == "live"):
        raise ConfigError('live trading goes through Interactive Brokers: run `theo run --broker ibkr --live` (with '
                          '[execution.ibkr] account set to the live account), or set [app] mode = "paper"')
    if broker == "ibkr" and config.app.mode == "live" and not live:
        raise ConfigError('[app] mode = "live" trades real money: say so on the command line too, '
                          '`theo run --broker ibkr --live`')
