"""Bars whose range is impossible for their instrument: flagged with a reason, never silently used.

A one-minute stock bar whose high is 7x its low is a bad print, a wrong scale or a mixed-up symbol, not a
market; feeding it to ATR or a Donchian channel would poison every value that follows. The check is on the
raw bar (a ratio, so it does not care about split adjustment) and uses :class:`BarLimits` per instrument class.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from theo.core.time import exchange_time, from_us
from theo.data.config import BarLimits

IMPOSSIBLE_RANGE = "impossible_range"
BAD_OHLC = "bad_ohlc"
DAY_US = 86_400_000_000


class InstrumentClass(StrEnum):
    EQUITY = "equity"
    INDEX = "index"
    FUTURE = "future"


def instrument_class(symbol: str, limits: BarLimits) -> InstrumentClass:
    """Index when listed in ``index_symbols``, future when it parses as a contract of a known root, else equity."""
    from theo.core.errors import DataError
    from theo.data.futures.contracts import SPECS, parse_symbol

    if symbol in limits.index_symbols:
        return InstrumentClass.INDEX
    if symbol in SPECS:
        return InstrumentClass.FUTURE
    try:
        parse_symbol(symbol)
    except DataError:
        return InstrumentClass.EQUITY
    return InstrumentClass.FUTURE


def max_range(cls: InstrumentClass, bar_us: int, limits: BarLimits) -> float:
    """The widest high/low ratio a bar of ``bar_us`` microseconds may span."""
    daily = bar_us >= DAY_US
    return float(getattr(limits, f"{cls.value}_{'daily' if daily else 'intraday'}"))


@dataclass
class BarCheck:
    """Which bars failed (``bad``) and one readable reason per failed bar, in bar order."""

    bad: npt.NDArray[np.bool_]
    reasons: list[str] = field(default_factory=list)
    by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return int(self.bad.sum())


def check_bars(symbol: str, timeframe: str, bar_us: int, start_us: npt.NDArray[np.int64],
               open_: npt.NDArray[np.float64], high: npt.NDArray[np.float64], low: npt.NDArray[np.float64],
               close: npt.NDArray[np.float64], limits: BarLimits) -> BarCheck:
    """Flag bars with a non-positive price, a high below the low, or a range beyond the class's limit."""
    cls = instrument_class(symbol, limits)
    limit = max_range(cls, bar_us, limits)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(low > 0, high / low, np.inf)
    bad_ohlc = (low <= 0) | (high < low) | ~np.isfinite(open_ + high + low + close)
    too_wide = ~bad_ohlc & (ratio >= limit)
    bad = np.asarray(bad_ohlc | too_wide, dtype=np.bool_)
    reasons: list[str] = []
    for i in np.flatnonzero(bad):
        at = exchange_time(from_us(int(start_us[i])))
        if bad_ohlc[i]:
            reasons.append(f"{symbol} {timeframe} {at}: {BAD_OHLC}: O {open_[i]:g} H {high[i]:g} L {low[i]:g} "
                           f"C {close[i]:g} (prices must be positive, high >= low)")
        else:
            reasons.append(f"{symbol} {timeframe} {at}: {IMPOSSIBLE_RANGE}: high {high[i]:g} is {ratio[i]:.2f}x "
                           f"the low {low[i]:g} (limit {limit:g}x for a {cls.value} bar; "
                           f"[marketdata.bar_limits])")
    by_reason = {k: int(v) for k, v in ((BAD_OHLC, bad_ohlc.sum()), (IMPOSSIBLE_RANGE, too_wide.sum())) if v}
    return BarCheck(bad, reasons, by_reason)
