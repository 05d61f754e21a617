"""The engine's object graph, built the same way for every mode.

:func:`build_engine` is the one place that differs by mode: it picks the clock, the broker adapter and where
the order journal lives (see :mod:`theo.node.desk`). The feed is chosen by the driver that feeds the engine
(:mod:`theo.node.stream` for files and replays, :mod:`theo.node.paper` for ``theo run``). Strategies, the
signal router, the trade manager with its pre-trade risk checks, the order service and its journal are
shared code.

``[engine] execution = "fast"`` swaps the desk for the vectorised books of :mod:`theo.node.book` (next-open
fills, stop/target/trailing on the price path, a leverage check): backtests and sweeps only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Engine as DbEngine

from theo.config import TheoConfig
from theo.core.bus.memory import InMemoryBus
from theo.core.clock import Clock, LiveClock, SimulatedClock
from theo.core.errors import ConfigError, OrderValidationError
from theo.core.logging import get_logger
from theo.model.market import Bar
from theo.model.series import BarSeries
from theo.node.book import BookContext, SymbolBook
from theo.node.charges import ChargesModel
from theo.node.desk import BrokerDesk, DeskParts, instruments_for, scratch_database, state_file
from theo.node.records import Journal, SignalRecord
from theo.strategy.base import Signal, Strategy
from theo.strategy.registry import build_strategies
from theo.strategy.scanner.scanner import Scanner

log = get_logger("theo.node")


class Mode(StrEnum):
    BACKTEST = "backtest"
    PAPER = "paper"
    LIVE = "live"


@dataclass
class Engine:
    """Bus, strategies, books and journal of one run; drivers push market data into it."""

    config: TheoConfig
    mode: Mode
    clock: Clock
    bus: InMemoryBus
    strategies: list[Strategy]
    ctx: BookContext
    symbols: list[str]
    books: dict[tuple[str, str], SymbolBook] = field(default_factory=dict)
    collected: list[tuple[int, Signal]] = field(default_factory=list)
    desk: BrokerDesk | None = None  # None: the fast books
    scanners: dict[str, list[Scanner]] = field(default_factory=dict)  # strategy name -> its scanners
    last_evaluated: dict[str, datetime] = field(default_factory=dict)

    @property
    def journal(self) -> Journal:
        return self.ctx.journal

    def symbol_index(self, symbol: str) -> int:
        try:
            return self.symbols.index(symbol)
        except ValueError:
            self.symbols.append(symbol)
            return len(self.symbols) - 1

    def quantity_of(self, strategy: Strategy) -> Decimal:
        qty = getattr(getattr(strategy, "config", None), "quantity", None)
        return qty if isinstance(qty, Decimal) else self.config.engine.quantity

    def book(self, strategy: Strategy, symbol: str, series: BarSeries | None = None) -> SymbolBook:
        key = (strategy.name, symbol)
        book = self.books.get(key)
        if book is None:
            trail = getattr(getattr(strategy, "config", None), "trail_pct", None)
            book = SymbolBook(self.ctx, strategy.name, symbol, self.quantity_of(strategy), trail, series)
            self.books[key] = book
        return book

    def subscribe_strategies(self) -> None:
        """Streaming path: each strategy receives its closed bars from the bus."""
        for idx, strategy in enumerate(self.strategies):
            for symbol, tf in strategy.subscriptions:
                self.symbol_index(symbol)

                def handler(topic: str, bar: Bar, _i: int = idx, _s: Strategy = strategy) -> None:
                    for sig in _s.on_bar(bar):
                        self.collected.append((_i, sig))
                    if self.desk is not None and _s.name in self.scanners:
                        self._scanner_exits(_i, _s, bar.timeframe)

                self.bus.subscribe(f"bars.{tf}.{symbol}", handler)

    def sort_key(self, item: tuple[int, Signal]) -> tuple[datetime, int, int]:
        """Signals of one instant are handled by symbol, then strategy order, on every path."""
        idx, sig = item
        return (sig.ts, self.symbol_index(sig.symbol), idx)

    def route(self, idx: int, sig: Signal) -> None:
        """Risk-check a signal and hand it to its book; record what happened."""
        desk = self.desk
        if desk is not None and desk.recovering:
            return  # catching up after a restart: this signal was handled before
        if desk is not None and sig.strategy in self.scanners:
            refused = self._scan(idx, sig)
            if refused:
                self.journal.add_signal(SignalRecord(sig, "CANCELLED", refused))
                return
        if self.bus.has_subscribers("signals.new"):
            self.bus.publish("signals.new", sig)
        if desk is not None:
            status, note = desk.on_signal(sig)
        else:
            status, note = self.book(self.strategies[idx], sig.symbol).on_signal(sig)
        self.journal.add_signal(SignalRecord(sig, status, note))


    def _scanner_exits(self, idx: int, strategy: Strategy, timeframe: str) -> None:
        """Exit signals of the strategy's scanners whose exit rules hold on its latest evaluation."""
        evaluated = getattr(strategy, "last_evaluated", None)
        if evaluated is None or evaluated == self.last_evaluated.get(strategy.name):
            return
        self.last_evaluated[strategy.name] = evaluated
        values = getattr(strategy, "values", {})
        for scanner in self.scanners[strategy.name]:
            self.collected.extend((idx, sig) for sig in scanner.exits(evaluated, timeframe, values, strategy.name))

    def _scan(self, idx: int, sig: Signal) -> str:
        """Pass ``sig`` through its strategy's scanners (plan §3 gates); the refusal, or "" when one takes it."""
        values = getattr(self.strategies[idx], "values", None)
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


def build_engine(config: TheoConfig, mode: Mode, *, start: datetime | None = None,
                 strategies: Sequence[Strategy] | None = None, journal: Journal | None = None,
                 db: DbEngine | None = None) -> Engine:
    """Build the graph for ``mode``: the only place where backtest, paper and live differ.

    Backtests and paper runs on the synthetic market or a replay keep simulated time (the feed moves the
    clock); live trading will run on the wall clock. ``db`` is the store of a paper run's journal.
    """
    clock: Clock
    clock = LiveClock() if mode is Mode.LIVE else SimulatedClock(start or config.engine.synthetic_start)
    bus = InMemoryBus(raise_errors=mode is Mode.BACKTEST)
    eng = config.engine
    ctx = BookContext(journal=journal or Journal(), bus=bus, charges=ChargesModel(eng.charges, eng.sec_fee_per_million),
                      tick_size=eng.tick_size, slippage_ticks=eng.slippage_ticks, capital=config.market.capital,
                      max_leverage=eng.max_leverage)
    scanners: dict[str, list[Scanner]] = {}
    for d in config.scanner.scanners:
        scanners.setdefault(d.strategy, []).append(Scanner(d, config.market, None, config.scanner.user))
    if strategies is not None:
        strats = list(strategies)
    else:  # scanner rules may name indicator values the strategy then computes
        from theo.strategy.scanner.run import build_strategy

        strats = build_strategies(config.strategies, lambda c: build_strategy(
            c, [r for s in scanners.get(c.name, []) for r in (*s.entry_rules, *s.exit_rules)]))
    symbols: list[str] = []
    for s in strats:
        for symbol, _tf in s.subscriptions:
            if symbol not in symbols:
                symbols.append(symbol)
    engine = Engine(config, mode, clock, bus, strats, ctx, symbols, scanners=scanners)
    if config.engine.execution == "broker":
        engine.desk = _build_desk(engine, db)
    elif mode is Mode.BACKTEST and scanners:
        log.warning("engine.scanners_ignored", why='[[scanner.scanners]] gate signals with execution = "broker" '
                    'only; execution = "fast" takes every signal of the strategies')
    elif mode is not Mode.BACKTEST:
        raise ConfigError('[engine] execution = "fast" is for backtests and sweeps; `theo run` trades through '
                          'the broker: set execution = "broker" (the default)')
    return engine


def _build_desk(engine: Engine, db: DbEngine | None) -> BrokerDesk:
    """The trading desk of ``engine.mode``: the broker adapter and the journal's store differ, nothing else."""
    from theo.adapters.sim.execution import SimulatedBroker
    from theo.execution.lock import SingleWriterLock

    config, clock = engine.config, engine.clock
    if engine.mode is Mode.LIVE:
        raise ConfigError("live trading needs the IBKR adapter, which this release does not have yet; use "
                          "`theo run` (paper) or `theo backtest`")
    assert isinstance(clock, SimulatedClock)
    instruments = instruments_for(engine.symbols)
    if engine.mode is Mode.BACKTEST:
        broker = SimulatedBroker(config.execution, clock, instruments, None, market=config.market)
        parts = DeskParts(broker, scratch_database(), store_trades=False)
    else:
        if db is None:
            raise ConfigError("a paper run needs its database (the [database] url)")
        broker = SimulatedBroker(config.execution, clock, instruments, state_file(config), market=config.market)
        lock = SingleWriterLock(db, ttl_seconds=config.execution.lock_ttl_seconds)
        parts = DeskParts(broker, db, lock)
    ss_types = {s.name: getattr(getattr(s, "config", None), "type", "") for s in engine.strategies}
    desk = BrokerDesk(config, clock, engine.bus, engine.journal, instruments, parts, ss_types)
    if engine.mode is Mode.BACKTEST:
        desk.start(fresh=True)
    return desk
