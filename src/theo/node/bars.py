"""Strategy bars in the node: the one session-aligned aggregation (:mod:`theo.data.bars`), in batch for
backtests and in stream for paper trading; both give the same bars, bit for bit.

Buckets are aligned to the session segment (09:30 ET for the regular session), never straddle a segment,
``1d`` is the regular session; only buckets with data make bars; items outside every session segment
(holidays, weekends, overnight) are not used. A target equal to the items' own timeframe passes them through.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from theo.core.calendar import MarketCalendar
from theo.data.bars.batch import BarArrays, item_sessions, rollup
from theo.data.bars.rollup import BarRollup
from theo.model.market import Bar
from theo.model.series import BarSeries

SOURCE = "engine"


def strategy_bars(series: BarSeries, timeframe: str, calendar: MarketCalendar) -> BarArrays:
    """Bars of ``timeframe`` from a symbol's items (bars of the same or a finer timeframe, or ticks)."""
    tick = series.timeframe == "tick"
    return rollup(series.symbol, series.start_us, None if tick else series.end_us, series.open, series.high,
                  series.low, series.close, series.volume, timeframe, calendar,
                  source=None if tick else series.timeframe)


def bar_records(arr: BarArrays) -> list[Bar]:
    """The bars as records, exactly as :class:`StreamBars` emits them."""
    return arr.to_bars(SOURCE)


def session_mask(series: BarSeries, calendar: MarketCalendar) -> tuple[np.ndarray, np.ndarray]:
    """Per item: inside a session, and inside the regular session (where orders work)."""
    return item_sessions(series.start_us, calendar, series.timeframe)


class StreamBars:
    """Streaming twin of :func:`strategy_bars` for several (symbol, timeframe) targets at once."""

    def __init__(self, targets: Sequence[tuple[str, str]], calendar_for: Callable[[str], MarketCalendar],
                 sources: dict[str, str]) -> None:
        bar_sources = {s: tf for s, tf in sources.items() if tf != "tick"}
        self._ticks = {s for s, tf in sources.items() if tf == "tick"}
        self._rollup = BarRollup(targets, calendar_for, sources=bar_sources, source=SOURCE)

    def add(self, symbol: str, ts_us: int, end_us: int, o: float, h: float, lo: float, c: float, v: float) -> None:
        """Add one item: a bar ``[ts_us, end_us)``, or a tick (``end_us == ts_us``)."""
        if symbol in self._ticks:
            self._rollup.add_tick(symbol, ts_us, c, v)
        else:
            self._rollup.add_bar(symbol, ts_us, end_us, o, h, lo, c, v)

    def advance(self, now_us: int) -> list[Bar]:
        """Close and return every open bar whose end is at or before ``now_us`` (by end, then target order)."""
        return self._rollup.advance(now_us)

    def next_end(self) -> int | None:
        """The earliest end (µs) of the open bars, ``None`` when none is open."""
        return self._rollup.next_end

    def flush(self) -> list[Bar]:
        """End of data: every open bar, complete or not."""
        return self._rollup.flush()
