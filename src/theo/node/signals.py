"""A backtest's signals, computed before the market is replayed: strategies never see positions or fills.

A strategy with a batch form (NumPy over whole series) gives its signals as tables; any other strategy, and
any strategy gated by scanners, is fed its bars one by one exactly as ``theo run`` feeds them (bars of one
instant all first, then the signals of that instant in order, through the scanner gates). The result is one
time-ordered stream; the driver routes each signal at its time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby

import numpy as np

from theo.model.enums import SignalStatus
from theo.model.market import Bar
from theo.model.series import KIND_RANK, BarSeries, SignalTable
from theo.model.signals import Signal, SignalOutcome
from theo.node.bars import bar_records, strategy_bars
from theo.node.kernel import Node
from theo.strategy.base import Strategy

Collected = list[tuple[int, Signal]]


def has_batch_form(strategy: Strategy) -> bool:
    return callable(getattr(strategy, "signal_tables", None))


@dataclass
class SignalStream:
    """Signals in routing order: time, symbol index, strategy index, then the strategy's own order."""

    ts_us: np.ndarray
    strategy: np.ndarray  # strategy index per row
    kind: np.ndarray  # batch rows: 0/1 entry long/short, 2/3 exit long/short; -1 built signals
    tables: list[SignalTable] = field(default_factory=list)  # batch sources
    source: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    row: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    built: list[Signal | SignalOutcome] = field(default_factory=list)  # rows of kind -1 (row indexes here)

    def __len__(self) -> int:
        return int(self.ts_us.shape[0])


def after_bar(node: Node, index: int, strategy: Strategy, timeframe: str, signals: Collected) -> None:
    """What follows a strategy's bar: the exit signals of its scanners' exit rules, on a new evaluation."""
    scanners = node.scanners.get(strategy.name)
    if not scanners:
        return
    evaluated = getattr(strategy, "last_evaluated", None)
    if evaluated is None or evaluated == node.last_evaluated.get(strategy.name):
        return
    node.last_evaluated[strategy.name] = evaluated
    values = getattr(strategy, "values", {})
    for scanner in scanners:
        signals.extend((index, sig) for sig in scanner.exits(evaluated, timeframe, values, strategy.name))


def ordered(node: Node, signals: Collected) -> Collected:
    """Signals of one instant in routing order: symbol, then strategy, then the order they were emitted."""
    sym = {s: k for k, s in enumerate(node.symbols)}
    return sorted(signals, key=lambda p: (p[1].ts, sym.get(p[1].symbol, len(sym)), p[0]))


def signal_stream(node: Node, series: Mapping[str, BarSeries]) -> SignalStream:
    """Every signal of the node's strategies over ``series`` (execution items per symbol), time-ordered."""
    parts_ts: list[np.ndarray] = []
    parts_sym: list[np.ndarray] = []
    parts_strat: list[np.ndarray] = []
    parts_rank: list[np.ndarray] = []
    parts_kind: list[np.ndarray] = []
    parts_src: list[np.ndarray] = []
    parts_row: list[np.ndarray] = []
    stream = SignalStream(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int8))
    sym_index = {s: k for k, s in enumerate(node.symbols)}
    streamed: list[int] = []
    for idx, strategy in enumerate(node.strategies):
        if not has_batch_form(strategy) or strategy.name in node.scanners:
            streamed.append(idx)
            continue
        frames = {symbol: strategy_bars(series[symbol], tf, node.calendar_of(symbol))
                  for symbol, tf in strategy.subscriptions if symbol in series}
        tables: list[SignalTable] = strategy.signal_tables(frames)  # type: ignore[attr-defined]
        for table in tables:
            n = table.ts_us.shape[0]
            src = len(stream.tables)
            stream.tables.append(table)
            parts_ts.append(table.ts_us.astype(np.int64))
            parts_sym.append(np.full(n, sym_index[table.symbol], dtype=np.int64))
            parts_strat.append(np.full(n, idx, dtype=np.int64))
            parts_rank.append(KIND_RANK[table.kind].astype(np.int64))
            parts_kind.append(table.kind.astype(np.int8))
            parts_src.append(np.full(n, src, dtype=np.int64))
            parts_row.append(np.arange(n, dtype=np.int64))
    if streamed:
        built = _streamed(node, series, streamed)
        n = len(built)
        stream.built = [item for _, _, item in built]
        parts_ts.append(np.array([ts for ts, _, _ in built], dtype=np.int64))
        parts_sym.append(np.array([sym_index.get(_signal_of(x).symbol, len(sym_index)) for _, _, x in built],
                                  dtype=np.int64))
        parts_strat.append(np.array([i for _, i, _ in built], dtype=np.int64))
        parts_rank.append(np.arange(n, dtype=np.int64) - n)  # keep their own order, ahead of batch rows
        parts_kind.append(np.full(n, -1, dtype=np.int8))
        parts_src.append(np.full(n, -1, dtype=np.int64))
        parts_row.append(np.arange(n, dtype=np.int64))
    if not parts_ts:
        return stream
    ts, sym, strat, rank = (np.concatenate(p) for p in (parts_ts, parts_sym, parts_strat, parts_rank))
    order = np.lexsort((rank, strat, sym, ts))
    stream.ts_us = ts[order]
    stream.strategy = strat[order]
    stream.kind = np.concatenate(parts_kind)[order]
    stream.source = np.concatenate(parts_src)[order]
    stream.row = np.concatenate(parts_row)[order]
    return stream


def _signal_of(item: Signal | SignalOutcome) -> Signal:
    return item.signal if isinstance(item, SignalOutcome) else item


def _streamed(node: Node, series: Mapping[str, BarSeries],
              indexes: list[int]) -> list[tuple[int, int, Signal | SignalOutcome]]:
    """Feed the bars of streamed strategies instant by instant; gate their signals through the scanners."""
    bars: list[tuple[datetime, int, Bar]] = []
    targets: list[tuple[str, str]] = []
    for idx in indexes:
        for pair in node.strategies[idx].subscriptions:
            if pair not in targets:
                targets.append(pair)
    targets.sort(key=lambda p: node.symbols.index(p[0]) if p[0] in node.symbols else len(node.symbols))
    for order, (symbol, tf) in enumerate(targets):
        if symbol in series:
            bars.extend((b.end, order, b) for b in bar_records(strategy_bars(series[symbol], tf,
                                                                             node.calendar_of(symbol))))
    bars.sort(key=lambda x: (x[0], x[1]))
    subscribers: dict[tuple[str, str], list[int]] = {}
    for idx in indexes:
        for pair in node.strategies[idx].subscriptions:
            subscribers.setdefault(pair, []).append(idx)
    out: list[tuple[int, int, Signal | SignalOutcome]] = []
    for _end, group in groupby(bars, key=lambda x: x[0]):
        collected: Collected = []
        for _, _, bar in group:
            for idx in subscribers.get((bar.symbol, bar.timeframe), ()):
                strategy = node.strategies[idx]
                collected.extend((idx, sig) for sig in strategy.on_bar(bar))
                after_bar(node, idx, strategy, bar.timeframe, collected)
        out.extend(_gate(node, ordered(node, collected)))
    tail: Collected = []
    for idx in indexes:
        flush = getattr(node.strategies[idx], "flush", None)
        if callable(flush):
            tail.extend((idx, sig) for sig in flush())
    out.extend(_gate(node, ordered(node, tail)))
    return out


def _gate(node: Node, signals: Collected) -> list[tuple[int, int, Signal | SignalOutcome]]:
    out: list[tuple[int, int, Signal | SignalOutcome]] = []
    from theo.core.time import to_us

    for idx, sig in signals:
        refused = node.scan(idx, sig) if sig.strategy in node.scanners else ""
        item: Signal | SignalOutcome = SignalOutcome(sig, SignalStatus.CANCELLED, refused) if refused else sig
        out.append((to_us(sig.ts), idx, item))
    return out
