"""The backtest driver: the node of ``theo run``, fed history, visiting only the items that can change anything.

Signals come first (:mod:`theo.node.signals`: strategies never see fills). Then the market is replayed
through the node: at each instant, due timers fire (time exits, DAY expiries), the signals of that instant are
routed (scanner gates, trade manager, sizing and checks, order service, broker), and the items starting then
are worked (broker, then trade manager). An item is visited only when something may happen on it: a resting
order could fill (the broker's watches), a trade could reach its risk-reduction level, or the visit-all mode
asks for every item. Skipped items still move what depends on them: the marks (last prices) and the trailing
stops' references are brought up to date before every instant. The property test of this module proves that
skipping gives byte-identical orders, fills and deals to visiting every item.
"""

from __future__ import annotations

import gc
import heapq
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from theo.config import TheoConfig
from theo.core.clock import SimulatedClock
from theo.core.errors import ConfigError
from theo.core.time import from_us, to_us
from theo.execution.journal import MemoryJournal
from theo.model.enums import Side, SignalStatus
from theo.model.events import Execution
from theo.model.orders import Order
from theo.model.series import BarSeries
from theo.model.signals import SignalOutcome
from theo.model.trades import Trade
from theo.node.bars import session_mask
from theo.node.data import MarketData
from theo.node.kernel import Mode, Node, build_node
from theo.node.signals import SignalStream, signal_stream
from theo.node.watch import Items, next_event

_END = int(np.iinfo(np.int64).max)
_SIDES = (Side.BUY, Side.SELL, Side.SELL, Side.BUY)  # the side of each signal kind (see SignalTable)


@dataclass
class BacktestResult:
    """What a backtest produced: the node (its journal, trades and signals), the data, and notes for the user."""

    config: TheoConfig
    data: MarketData
    node: Node
    visited: int = 0  # items the broker and the trade manager were shown
    tradable: int = 0  # items inside the sessions (the others are reported in ``notes``, never traded)
    notes: list[str] = field(default_factory=list)

    @property
    def path(self) -> str:
        return "every item" if self.visited >= self.tradable else "skip-ahead"

    @property
    def journal(self) -> MemoryJournal:
        journal = self.node.service.journal
        assert isinstance(journal, MemoryJournal)
        return journal

    def orders(self) -> list[Order]:
        return list(self.journal.orders.values())

    def fills(self) -> list[Execution]:
        return list(self.journal.fills)

    def trades(self) -> list[Trade]:
        return self.node.manager.trades()

    def signals(self) -> list[SignalOutcome]:
        return self.node.signals.outcomes()

    @property
    def signal_count(self) -> int:
        return len(self.node.signals)


def run_backtest(config: TheoConfig, data: MarketData, *, visit_all: bool = False,
                 progress: Callable[[int, int], None] | None = None) -> BacktestResult:
    """Backtest the config's strategies on ``data`` (``visit_all``: show every item, for the proofs)."""
    if not config.strategies:
        raise ConfigError("the config has no [[strategies]]; add one (see config/backtest.example.toml)")
    if not any(s.enabled for s in config.strategies):
        raise ConfigError("every strategy in the config is disabled (enabled = false)")
    first = min(int(s.start_us[0]) for s in data.series.values())
    node = build_node(config, Mode.BACKTEST, start=from_us(first), symbols=data.symbols)
    missing = [s for s in node.symbols if s not in data.series]
    if missing:
        raise ConfigError(f"the strategies trade {', '.join(missing)} but the data has only "
                          f"{', '.join(data.series)}; add --data files for them")
    for strategy in node.strategies:  # raw bars (unadjusted mode): a split day is not a crash to the gates
        strategy.use_raw_splits(data.raw_splits)
    result = BacktestResult(config, data, node, notes=list(data.notes))
    driver = Driver(node, data.series, signal_stream(node, data.series), visit_all=visit_all, progress=progress)
    # The run allocates many small objects that live to its end (orders, fills, trades) and makes no
    # reference cycles worth chasing: the cyclic collector would rescan them over and over.
    collecting = gc.isenabled()
    gc.disable()
    try:
        driver.run()
    finally:
        if collecting:
            gc.enable()
    result.visited = driver.visited
    result.tradable = sum(len(sym.start) for sym in driver.symbols)
    result.notes.extend(driver.notes)
    return result


class _Symbol:
    """One symbol's items inside the sessions, and where the driver is in them."""

    __slots__ = (
        "close",
        "end",
        "high",
        "items",
        "low",
        "marked",
        "name",
        "next",
        "open",
        "regular",
        "seen",
        "side",
        "start",
        "volume",
    )

    def __init__(self, name: str, s: BarSeries, regular: np.ndarray, tick: float) -> None:
        self.name = name
        self.start, self.end = s.start_us, s.end_us
        self.open, self.high, self.low, self.close, self.volume = s.open, s.high, s.low, s.close, s.volume
        self.regular = regular
        self.items = Items.of(s.start_us, s.high, s.low, regular, tick)
        self.side: Literal["left", "right"] = "left" if s.timeframe == "tick" else "right"  # when an item completes
        self.seen = 0  # items before this one were shown to the broker or skipped
        self.marked = 0  # items before this one have set the mark
        self.next = len(s)  # next item to show the broker


class Driver:
    """Replays items through a node in time order (see the module docstring and :class:`Node`'s order)."""

    def __init__(self, node: Node, series: Mapping[str, BarSeries], stream: SignalStream, *, visit_all: bool = False,
                 progress: Callable[[int, int], None] | None = None) -> None:
        if node.sim is None:
            raise ValueError("a backtest works its orders on the simulated broker")
        self.node = node
        self.sim = node.sim
        self.stream = stream
        self.visit_all = visit_all
        self.progress = progress
        self.notes: list[str] = []
        self.visited = 0
        self.symbols: list[_Symbol] = []
        self._ranges: list[tuple[int, int, int]] = []  # (end, symbol index, item) of bars shown at their open
        self._now = 0
        self._synced = (-1, True)  # the last (instant, strictness) the marks were brought to
        self._rows: tuple[list[int], list[int], list[int], list[int]] = ([], [], [], [])
        order = [s for s in node.symbols if s in series] + [s for s in series if s not in node.symbols]
        for name in order:
            s = series[name]
            inside, regular = session_mask(s, node.calendar_of(name))
            outside = int((~inside).sum())
            if outside:
                self.notes.append(f"{name}: {outside} items outside every session (holidays, weekends, overnight) "
                                  f"were not traded")
                keep = np.flatnonzero(inside)
                s = BarSeries(s.symbol, s.timeframe, s.start_us[keep], s.end_us[keep], s.open[keep], s.high[keep],
                              s.low[keep], s.close[keep], s.volume[keep])
                regular = regular[keep]
            off = int((~regular).sum())
            if off:
                self.notes.append(f"{name}: {off} pre- or post-market items: orders work in the regular session only")
            tick = float(node.service.instruments[name].tick_size) if name in node.service.instruments else 0.01
            self.symbols.append(_Symbol(name, s, regular, tick))
        self._by_name = {sym.name: sym for sym in self.symbols}
        self._table_symbols = [table.symbol for table in stream.tables]

    # -- the loop -------------------------------------------------------------------------------------------
    def run(self) -> None:
        node, stream = self.node, self.stream
        clock = node.clock
        assert isinstance(clock, SimulatedClock)
        n_sig = len(stream)
        ts = stream.ts_us.tolist()
        self._rows = (stream.strategy.tolist(), stream.kind.tolist(), stream.row.tolist(), stream.source.tolist())
        names = [s.name for s in node.strategies]
        strategies, kinds, rows, sources = self._rows
        tables = stream.tables
        ignores, add_lazy = node.manager.ignores, node.signals.add_lazy
        i = 0
        for sym in self.symbols:
            sym.next = 0 if self.visit_all else len(sym.start)
        ranges = self._ranges
        step = max(1, n_sig // 100)
        if self.progress is not None:
            self.progress(0, n_sig)  # the signals are known: the replay starts
        last = max((int(sym.end[-1]) for sym in self.symbols if len(sym.end)), default=0)  # timers stop here
        while True:
            t = _END
            for sym in self.symbols:
                if sym.next < len(sym.start):
                    s = int(sym.start[sym.next])
                    if s < t:
                        t = s
            if ranges and ranges[0][0] < t:
                t = ranges[0][0]
            nt = clock.next_timer()
            if nt is not None and to_us(nt) <= last:
                t = min(t, to_us(nt))
            # Signals before the next other event that change nothing are recorded at once (nothing can change
            # what they find until then); the first one that acts is handled at its own instant.
            while i < n_sig and ts[i] < t:
                kind = kinds[i]
                if kind < 0:
                    break
                src = sources[i]
                note = ignores(names[strategies[i]], self._table_symbols[src], _SIDES[kind], kind >= 2)
                if not note:
                    break
                add_lazy(tables[src].make, rows[i], note)
                i += 1
                if self.progress is not None and i % step == 0:
                    self.progress(i, n_sig)
            if i < n_sig and ts[i] < t:
                t = ts[i]
            if t == _END:
                break
            self._now = t
            if ranges and ranges[0][0] == t:
                self._sync(t, strict=True)
                while ranges and ranges[0][0] == t:
                    _, k, j = heapq.heappop(ranges)
                    self._close(self.symbols[k], j)
            nt = clock.next_timer()
            if nt is not None and to_us(nt) <= min(t, last):
                self._sync(t, strict=False)  # a timer may trade: it reads the marks
            node.advance(from_us(min(t, last)))  # after the data, no timer fires (no item could follow)
            while i < n_sig and ts[i] == t:
                self._route(i)
                i += 1
                if self.progress is not None and i % step == 0:
                    self.progress(i, n_sig)
            self._refresh()
            for k, sym in enumerate(self.symbols):
                j = sym.next
                if j < len(sym.start) and int(sym.start[j]) == t:
                    self._sync(t, strict=False)
                    self._open(k, sym, j)
            self._refresh()
        for sym in self.symbols:  # the final marks of every symbol (the report reads them)
            self._sync_one(sym, _END, strict=True)

    def _route(self, i: int) -> None:
        stream, node = self.stream, self.node
        strategies, kinds, rows, sources = self._rows
        strategy, kind, row = strategies[i], kinds[i], rows[i]
        if kind >= 0:
            source = sources[i]
            table = stream.tables[source]
            symbol = self._table_symbols[source]
            note = node.manager.ignores(node.strategies[strategy].name, symbol, _SIDES[kind], kind >= 2)
            if note:
                node.signals.add_lazy(table.make, row, note)
                return
            self._sync(self._now, strict=False)
            self._sync_symbol(symbol)
            node.route(strategy, table.make(row))
            return
        item = stream.built[row]
        if isinstance(item, SignalOutcome):
            node.signals.add(item)
        else:
            self._sync(self._now, strict=False)
            self._sync_symbol(item.symbol)
            node.route(strategy, item)

    def _sync_symbol(self, name: str) -> None:
        """Bring a signal's symbol to now: its price sizes the entry even when nothing else uses it."""
        sym = self._by_name.get(name)
        if sym is not None:
            self._sync_one(sym, self._now, strict=False)

    def _open(self, k: int, sym: _Symbol, j: int) -> None:
        self.visited += 1
        start, end = int(sym.start[j]), int(sym.end[j])
        sym.seen = j + 1
        self.node.open_item(sym.name, from_us(start), from_us(end), float(sym.open[j]), float(sym.high[j]),
                            float(sym.low[j]), float(sym.close[j]), float(sym.volume[j]), bool(sym.regular[j]))
        if end > start:
            heapq.heappush(self._ranges, (end, k, j))
        self._plan(sym, j + 1)

    def _close(self, sym: _Symbol, j: int) -> None:
        self.node.close_item(sym.name, from_us(int(sym.start[j])), from_us(int(sym.end[j])), float(sym.open[j]),
                             float(sym.high[j]), float(sym.low[j]), float(sym.close[j]), float(sym.volume[j]),
                             bool(sym.regular[j]))
        self._plan(sym, j + 1)

    def _plan(self, sym: _Symbol, pos: int) -> None:
        """Set the symbol's next item to show the broker, at or after ``pos``."""
        if self.visit_all:
            sym.next = max(pos, sym.seen)
            return
        node = self.node
        pos = max(pos, sym.seen)
        sym.next = next_event(sym.items, pos, self.sim.watches(sym.name), node.manager.watch_levels(sym.name))

    def _refresh(self) -> None:
        dirty = self.node.dirty
        if not dirty:
            return
        for name in list(dirty):
            sym = self._by_name.get(name)
            if sym is not None:
                self._plan(sym, sym.seen)
        dirty.clear()

    def _sync(self, t: int, *, strict: bool) -> None:
        """Apply every item completed before ``t`` (``strict``) or by ``t`` to the symbols whose marks can be
        read now: those with a position or working orders (the others are brought up to date when a signal
        of theirs is routed: nothing else reads their price). Called only before a step that may read them
        (a bar's range, a timer, a signal that is not ignored, an item's open): at every such step the marks
        are those of every item completed by then, whether items were skipped or not."""
        if self._synced == (t, strict):
            return
        self._synced = (t, strict)
        broker = self.sim
        position = self.node.manager.portfolio.position
        for sym in self.symbols:
            if broker.has_working(sym.name) or position(sym.name):
                self._sync_one(sym, t, strict)

    def _sync_one(self, sym: _Symbol, t: int, strict: bool) -> None:
        c = sym.marked
        n = len(sym.end)
        if c >= n:
            return
        first = int(sym.end[c])
        if first > t or (first == t and (strict or sym.side == "left")):
            return  # nothing completed since the last sync
        c = int(np.searchsorted(sym.end, t, side="left" if strict else sym.side))
        if c <= sym.marked:
            return
        node = self.node
        broker = self.sim
        node.mark(sym.name, float(sym.close[c - 1]))
        sym.marked = c
        lo = sym.seen
        if lo < c and sym.next >= c:
            high = low = None
            if broker.has_trailing(sym.name):
                reg = sym.regular[lo:c]
                if reg.any():
                    high = float(sym.high[lo:c][reg].max())
                    low = float(sym.low[lo:c][reg].min())
            broker.skipped(sym.name, from_us(int(sym.start[c - 1])), float(sym.close[c - 1]), high, low)
            sym.seen = c


__all__ = ["BacktestResult", "Driver", "SignalStatus", "run_backtest"]
