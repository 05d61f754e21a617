"""Columnar market data as the engine's fast path sees it: one NumPy array per field."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from theo.core.time import from_us, to_us
from theo.model.columns import OHLCVColumns
from theo.model.market import Bar

if TYPE_CHECKING:
    from theo.model.signals import Signal

__all__ = ["BarSeries", "SignalTable", "et_days", "table_order"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class BarSeries(OHLCVColumns):
    """Bars of one symbol and timeframe, oldest first; ``start_us``/``end_us`` bound each bar [start, end)."""

    def bar(self, i: int) -> Bar:
        """The ``i``-th bar as a domain :class:`Bar` (what the streaming path publishes)."""
        return Bar(symbol=self.symbol, timeframe=self.timeframe, start=from_us(int(self.start_us[i])),
                   end=from_us(int(self.end_us[i])), open=float(self.open[i]), high=float(self.high[i]),
                   low=float(self.low[i]), close=float(self.close[i]), volume=float(self.volume[i]),
                   source="engine")

    def slice(self, lo: int, hi: int) -> BarSeries:
        return BarSeries(self.symbol, self.timeframe, self.start_us[lo:hi], self.end_us[lo:hi], self.open[lo:hi],
                         self.high[lo:hi], self.low[lo:hi], self.close[lo:hi], self.volume[lo:hi])

    @staticmethod
    def from_ticks(symbol: str, ts_us: I64, price: F64, size: F64) -> BarSeries:
        """Ticks as zero-length bars (open = high = low = close = price): the tick-level execution series."""
        return BarSeries(symbol, "tick", ts_us, ts_us, price, price, price, price, size)


@dataclass(frozen=True)
class SignalTable:
    """Signals of one strategy on one symbol as columns, built by a strategy's batch form.

    ``kind``: 0 long entry, 1 short entry, 2 long exit, 3 short exit. Rows are in time order, exits before
    entries within one bar (the order :meth:`Strategy.on_bar` returns them). ``make(k)`` builds row ``k`` as
    a :class:`~theo.strategy.base.Signal`; the engine calls it only for signals it acts on or reports.
    """

    symbol: str
    ts_us: I64
    kind: np.ndarray
    make: Callable[[int], Signal]


KIND_RANK = np.array([2, 3, 0, 1], dtype=np.int8)  # exits (2, 3) come before entries (0, 1) within a bar


def table_order(bar_idx: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """Row order of a signal table: by bar, then exits before entries."""
    return np.lexsort((KIND_RANK[kind], bar_idx))


def et_days(ts_us: I64) -> tuple[I64, I64]:
    """New York calendar day of each timestamp: (day index from the first day, UTC µs of each day's midnight).

    Day boundaries come from the time zone database one day at a time, so DST changes are exact.
    """
    from datetime import date
    from zoneinfo import ZoneInfo

    et = ZoneInfo("America/New_York")
    if ts_us.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    first = from_us(int(ts_us.min())).astimezone(et).date()
    last = from_us(int(ts_us.max())).astimezone(et).date()
    days = [date.fromordinal(o) for o in range(first.toordinal(), last.toordinal() + 2)]
    bounds = np.array([to_us(datetime(d.year, d.month, d.day, tzinfo=et)) for d in days], dtype=np.int64)
    idx = np.searchsorted(bounds, ts_us, side="right") - 1
    return idx.astype(np.int64), bounds
