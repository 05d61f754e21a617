"""The streaming path: bars or ticks one at a time, bars published on the bus, strategies' ``on_bar``.

This is what ``theo run`` does with a replay or the synthetic market, and what ``theo backtest --stream``
does with files. At each new instant it first closes the bars whose end has been reached (their signals
are routed), then fills and manages every book of the items of that instant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import numpy as np

from theo.model.series import BarSeries, from_us
from theo.node.book import SymbolBook
from theo.node.kernel import Engine
from theo.node.resample import Roller, check_resample, timeframe_us

_END = np.iinfo(np.int64).max
_TICK = ("tick", timedelta(0))


class StreamDriver:
    """Push items into an :class:`Engine` in time order."""

    def __init__(self, engine: Engine, source_timeframes: dict[str, str] | None = None) -> None:
        self.engine = engine
        self.now = -1
        self.rollers: list[Roller] = []
        self._by_symbol: dict[str, list[Roller]] = {}
        self._books: dict[str, list[SymbolBook]] = {}
        self.items: dict[str, int] = {}
        self.source: dict[str, tuple[str, timedelta]] = {}  # symbol -> (timeframe, length) of its items
        engine.subscribe_strategies()
        wanted: list[tuple[str, str]] = []
        for strategy in engine.strategies:
            for pair in strategy.subscriptions:
                if pair not in wanted:
                    wanted.append(pair)
        wanted.sort(key=lambda p: engine.symbol_index(p[0]))
        for symbol, tf in wanted:
            src = (source_timeframes or {}).get(symbol)
            if src is not None:
                check_resample(src, tf, symbol)
                self.set_source(symbol, src)
            roller = Roller(symbol, tf)
            self.rollers.append(roller)
            self._by_symbol.setdefault(symbol, []).append(roller)
        if engine.desk is None:
            for strategy in engine.strategies:
                for symbol, _tf in strategy.subscriptions:
                    engine.book(strategy, symbol)

    def set_source(self, symbol: str, timeframe: str) -> None:
        """Items of ``symbol`` are bars of ``timeframe`` (``tick`` or unset: trade prints)."""
        self.source[symbol] = (timeframe, timedelta(microseconds=timeframe_us(timeframe)))

    def _books_of(self, symbol: str) -> list[SymbolBook]:
        books = self._books.get(symbol)
        if books is None:
            books = [b for (_, sym), b in self.engine.books.items() if sym == symbol]
            self._books[symbol] = books
        return books

    def advance(self, now_us: int) -> None:
        """Time reaches ``now_us``: close due bars, let strategies see them, route their signals."""
        if now_us <= self.now:
            return
        self.now = now_us
        closed = [bar for r in self.rollers if (bar := r.due(now_us)) is not None]
        if not closed:
            return
        closed.sort(key=lambda b: b.end)  # stable: symbol order, then timeframe order
        eng = self.engine
        if eng.desk is not None and now_us < _END:
            eng.desk.advance(from_us(now_us))
        for bar in closed:
            eng.bus.publish(f"bars.{bar.timeframe}.{bar.symbol}", bar)
        signals = sorted(eng.collected, key=eng.sort_key)
        eng.collected.clear()
        for idx, sig in signals:
            eng.route(idx, sig)

    def on_item(self, symbol: str, ts_us: int, o: float, h: float, lo: float, c: float, v: float) -> None:
        """One bar (start ``ts_us``) or tick of ``symbol``; items must come in time order."""
        self.advance(ts_us)
        idx = self.items.get(symbol, 0)
        self.items[symbol] = idx + 1
        desk = self.engine.desk
        if desk is not None:
            tf, length = self.source.get(symbol, _TICK)
            desk.on_item(symbol, idx, from_us(ts_us), length, o, h, lo, c, v, tf)
        else:
            for book in self._books_of(symbol):
                book.on_item(idx, ts_us, o, h, lo)
        for roller in self._by_symbol.get(symbol, ()):
            late = roller.add(ts_us, o, h, lo, c, v)
            if late is not None:  # cannot happen after advance(ts_us); never drop a bar if it does
                self.engine.bus.publish(f"bars.{late.timeframe}.{late.symbol}", late)

    def finish(self) -> None:
        """End of data: close the last bars, let strategies flush what they hold, route the signals."""
        self.advance(int(_END))
        eng = self.engine
        for idx, strategy in enumerate(eng.strategies):
            flush = getattr(strategy, "flush", None)
            if callable(flush):
                eng.collected.extend((idx, sig) for sig in flush())
        for idx, sig in sorted(eng.collected, key=eng.sort_key):
            eng.route(idx, sig)
        eng.collected.clear()


def merged_items(series: dict[str, BarSeries]) -> Iterator[tuple[str, int, float, float, float, float, float]]:
    """Items of every symbol in time order (ties in symbol order)."""
    symbols = list(series)
    ts = np.concatenate([series[s].start_us for s in symbols])
    which = np.concatenate([np.full(len(series[s]), k) for k, s in enumerate(symbols)])
    pos = np.concatenate([np.arange(len(series[s])) for s in symbols])
    order = np.lexsort((which, ts))
    for k in order.tolist():
        s = series[symbols[which[k]]]
        i = int(pos[k])
        yield (s.symbol, int(s.start_us[i]), float(s.open[i]), float(s.high[i]), float(s.low[i]),
               float(s.close[i]), float(s.volume[i]))


def run_stream(engine: Engine, series: dict[str, BarSeries],
               progress: Callable[[int], None] | None = None) -> StreamDriver:
    """Feed whole series through the streaming path."""
    driver = StreamDriver(engine, {s: v.timeframe for s, v in series.items() if v.timeframe != "tick"})
    for n, item in enumerate(merged_items(series), 1):
        driver.on_item(*item)
        if progress is not None and n % 50_000 == 0:
            progress(50_000)
    driver.finish()
    return driver
