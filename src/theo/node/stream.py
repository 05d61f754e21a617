"""The streaming driver: items one at a time, as ``theo run`` receives them (a replay or the synthetic market).

It follows the node's order at every instant (see :class:`~theo.node.kernel.Node`): the range step of bars
that end then, the marks, due timers, the signals of strategy bars that close then, and last the items that
start then. Instants are every item start, bar end, strategy-bar end and timer, so a replay gives exactly
the orders, fills and deals of the backtest of the same data (``theo.node.backtest``).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Mapping

from theo.core.calendar import MarketCalendar
from theo.core.clock import SimulatedClock
from theo.core.time import from_us, to_us
from theo.data.bars.timeframes import Segment, segment_at
from theo.model.enums import SessionKind
from theo.model.market import Bar
from theo.model.series import BarSeries
from theo.node.bars import StreamBars
from theo.node.kernel import Node
from theo.node.signals import Collected, after_bar, ordered

_END = 1 << 62
Item = tuple[str, int, int, float, float, float, float, float]  # symbol, start, end (µs), OHLCV


class StreamDriver:
    """Push items into a :class:`Node` in time order (see the module docstring)."""

    def __init__(self, node: Node, sources: Mapping[str, str]) -> None:
        """``sources``: the timeframe of each symbol's items (``tick`` for trade prints)."""
        self.node = node
        targets: list[tuple[str, str]] = []
        for strategy in node.strategies:
            for pair in strategy.subscriptions:
                if pair not in targets:
                    targets.append(pair)
        rank = {s: k for k, s in enumerate(node.symbols)}
        targets.sort(key=lambda p: rank.get(p[0], len(rank)))
        self.bars = StreamBars(targets, node.calendar_of, dict(sources))
        self._bars = {s: tf != "tick" for s, tf in sources.items()}  # symbol -> its items are bars
        self._subscribers: dict[tuple[str, str], list[int]] = {}
        for idx, strategy in enumerate(node.strategies):
            for pair in strategy.subscriptions:
                self._subscribers.setdefault(pair, []).append(idx)
        self._rank = rank
        self._ranges: list[tuple[int, int, str, tuple[int, int, float, float, float, float, float, bool]]] = []
        self._unmarked: dict[str, tuple[int, float]] = {}  # completed items not yet marked: (end, close)
        self._segments: dict[str, Segment | None] = {}
        self.outside = 0
        self.items = 0
        self.now = -1
        self._last_end = -1  # end of the latest item: timers never fire past the data
        self._finished = False
        self.on_bar: Callable[[Bar], None] | None = None  # an observer of every closed bar (the dashboard)

    # -- input ----------------------------------------------------------------------------------------------
    def on_item(self, symbol: str, ts_us: int, end_us: int, o: float, h: float, lo: float, c: float,
                v: float) -> None:
        """One bar ``[ts_us, end_us)`` or tick (``end_us == ts_us``) of ``symbol``; items come in time order."""
        seg = self._segment(symbol, ts_us)
        if seg is None:
            self.outside += 1
            return
        self.advance(ts_us)
        self.items += 1
        self._last_end = max(self._last_end, end_us)
        regular = seg.kind is SessionKind.REGULAR
        self.node.open_item(symbol, from_us(ts_us), from_us(end_us), o, h, lo, c, v, regular)
        if end_us > ts_us:
            heapq.heappush(self._ranges, (end_us, self._rank.get(symbol, len(self._rank)), symbol,
                                          (ts_us, end_us, o, h, lo, c, v, regular)))
        else:
            self._unmarked[symbol] = (end_us, c)
        self.bars.add(symbol, ts_us, end_us, o, h, lo, c, v)

    def advance(self, now_us: int) -> None:
        """Process every instant up to and including ``now_us`` (the items starting then come after)."""
        clock = self.node.clock
        while True:
            t = now_us
            if self._ranges and self._ranges[0][0] < t:
                t = self._ranges[0][0]
            bar_end = self.bars.next_end()
            if bar_end is not None and bar_end < t:
                t = bar_end
            if isinstance(clock, SimulatedClock):
                nt = clock.next_timer()
                if nt is not None and to_us(nt) < t and not (self._finished and to_us(nt) > self._last_end):
                    t = to_us(nt)
            self._instant(t)
            if t >= now_us:
                break
        self.now = max(self.now, now_us)

    def finish(self) -> None:
        """End of data: close the last bars, let strategies flush what they hold, route the signals."""
        self._finished = True
        while True:
            pending = [self._ranges[0][0]] if self._ranges else []
            bar_end = self.bars.next_end()
            if bar_end is not None:
                pending.append(bar_end)
            if not pending:
                break
            self.advance(min(pending))
        node = self.node
        tail: Collected = []
        for idx, strategy in enumerate(node.strategies):
            flush = getattr(strategy, "flush", None)
            if callable(flush):
                tail.extend((idx, sig) for sig in flush())
        for idx, sig in ordered(node, tail):
            if to_us(sig.ts) > self.now:
                self.advance(to_us(sig.ts))
            node.route(idx, sig)

    # -- internals -------------------------------------------------------------------------------------------
    def _instant(self, t: int) -> None:
        node = self.node
        while self._ranges and self._ranges[0][0] == t:
            _, _, symbol, (s, e, o, h, lo, c, v, regular) = heapq.heappop(self._ranges)
            node.close_item(symbol, from_us(s), from_us(e), o, h, lo, c, v, regular)
            self._unmarked[symbol] = (e, c)
        for symbol, (end, close) in list(self._unmarked.items()):
            if end < t or (end == t and self._bars.get(symbol, False)):
                node.mark(symbol, close)
                del self._unmarked[symbol]
        node.advance(from_us(min(t, self._last_end) if self._finished else t))
        collected: Collected = []
        for bar in self.bars.advance(t):
            if self.on_bar is not None:
                self.on_bar(bar)
            for idx in self._subscribers.get((bar.symbol, bar.timeframe), ()):
                strategy = node.strategies[idx]
                collected.extend((idx, sig) for sig in strategy.on_bar(bar))
                after_bar(node, idx, strategy, bar.timeframe, collected)
        for idx, sig in ordered(node, collected):
            node.route(idx, sig)

    def _segment(self, symbol: str, ts_us: int) -> Segment | None:
        seg = self._segments.get(symbol)
        if seg is not None and seg.start_us <= ts_us < seg.end_us:
            return seg
        cal: MarketCalendar = self.node.calendar_of(symbol)
        seg = segment_at(cal, ts_us)
        self._segments[symbol] = seg
        return seg


def merged_items(series: Mapping[str, BarSeries], symbols: list[str]) -> Iterator[Item]:
    """Items of every symbol in time order (ties in the node's symbol order)."""
    import numpy as np

    names = [s for s in symbols if s in series] + [s for s in series if s not in symbols]
    ts = np.concatenate([series[s].start_us for s in names])
    which = np.concatenate([np.full(len(series[s]), k) for k, s in enumerate(names)])
    pos = np.concatenate([np.arange(len(series[s])) for s in names])
    for k in np.lexsort((which, ts)).tolist():
        s = series[names[which[k]]]
        i = int(pos[k])
        yield (s.symbol, int(s.start_us[i]), int(s.end_us[i]), float(s.open[i]), float(s.high[i]), float(s.low[i]),
               float(s.close[i]), float(s.volume[i]))


def run_stream(node: Node, series: Mapping[str, BarSeries]) -> StreamDriver:
    """Feed whole series through the streaming path (what ``theo run --replay --unlimited`` does)."""
    driver = StreamDriver(node, {s: v.timeframe for s, v in series.items()})
    for item in merged_items(series, node.symbols):
        driver.on_item(*item)
    driver.finish()
    return driver
