"""The engine's object graph, built the same way for every mode.

:func:`build_engine` is the one place that differs by mode: it picks the clock (simulated for backtests,
wall clock for paper/live) and the broker adapter (the simulated books today; IBKR later). The feed is chosen
by the driver that feeds the engine (:mod:`theo.engine.stream` for files and replays,
:mod:`theo.engine.live` for the synthetic market). Strategies, the signal router with its risk checks, the
books (fills and trade management) and the journal are shared code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from theo.bus.memory import InMemoryBus
from theo.clock import Clock, LiveClock, SimulatedClock
from theo.config import TheoConfig
from theo.domain.market import Bar
from theo.engine.book import BookContext, SymbolBook
from theo.engine.charges import ChargesModel
from theo.engine.records import Journal, SignalRecord
from theo.engine.series import BarSeries
from theo.strategy.base import Signal, Strategy
from theo.strategy.registry import build_strategies


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

                self.bus.subscribe(f"bars.{tf}.{symbol}", handler)

    def sort_key(self, item: tuple[int, Signal]) -> tuple[datetime, int, int]:
        """Signals of one instant are handled by symbol, then strategy order, on every path."""
        idx, sig = item
        return (sig.ts, self.symbol_index(sig.symbol), idx)

    def route(self, idx: int, sig: Signal) -> None:
        """Risk-check a signal and hand it to its book; record what happened."""
        if self.bus.has_subscribers("signals.new"):
            self.bus.publish("signals.new", sig)
        strategy = self.strategies[idx]
        book = self.book(strategy, sig.symbol)
        status, note = book.on_signal(sig)
        self.journal.add_signal(SignalRecord(sig, status, note))


def build_engine(config: TheoConfig, mode: Mode, *, start: datetime | None = None,
                 strategies: Sequence[Strategy] | None = None, journal: Journal | None = None) -> Engine:
    """Build the graph for ``mode``: the only place where backtest, paper and live differ."""
    clock: Clock
    clock = SimulatedClock(start or config.engine.synthetic_start) if mode is Mode.BACKTEST else LiveClock()
    bus = InMemoryBus(raise_errors=mode is Mode.BACKTEST)
    eng = config.engine
    ctx = BookContext(journal=journal or Journal(), bus=bus, charges=ChargesModel(eng.charges, eng.sec_fee_per_million),
                      tick_size=eng.tick_size, slippage_ticks=eng.slippage_ticks, capital=config.market.capital,
                      max_leverage=eng.max_leverage)
    strats = list(strategies) if strategies is not None else build_strategies(config.strategies)
    symbols: list[str] = []
    for s in strats:
        for symbol, _tf in s.subscriptions:
            if symbol not in symbols:
                symbols.append(symbol)
    return Engine(config, mode, clock, bus, strats, ctx, symbols)
