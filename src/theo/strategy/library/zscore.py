"""Z-score mean reversion: fade stretched moves, exit when the price is back near its mean.

``z = (close - mean) / std`` over the last ``lookback`` closes, this bar included (population std).
A long opens when z crosses below ``-entry_z`` and closes when z crosses back above ``-exit_z``; a short
opens when z crosses above ``entry_z`` and closes when z crosses back below ``exit_z``.

Both forms (:meth:`on_bar` and :meth:`batch_signals`) sum the window in the same order, so they give the
same floats bit for bit, and therefore the same signals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime

import numpy as np

from theo.core.time import from_us
from theo.model.market import Bar
from theo.model.series import F64, BarSeries, SignalTable
from theo.model.signals import Signal
from theo.strategy.library.crossing import CrossingStrategy
from theo.strategy.library.zscore_config import ZScoreReversionConfig


def rolling_zscore(close: F64, lookback: int) -> F64:
    """Causal z-score of every close; NaN until ``lookback`` closes exist or when the window is flat."""
    n = close.shape[0]
    out = np.full(n, np.nan)
    if n < lookback:
        return out
    width = n - lookback + 1
    total = np.zeros(width)
    for k in range(lookback):  # sequential sum, the same order as zscore_of_window
        total += close[k:k + width]
    mean = total / lookback
    sq = np.zeros(width)
    for k in range(lookback):
        d = close[k:k + width] - mean
        sq += d * d
    std = np.sqrt(sq / lookback)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (close[lookback - 1:] - mean) / std
    z[std == 0.0] = np.nan
    out[lookback - 1:] = z
    return out


def zscore_of_window(window: Sequence[float]) -> float:
    """Z-score of the last value of ``window`` (same arithmetic as :func:`rolling_zscore`)."""
    total = 0.0
    for v in window:
        total += v
    mean = total / len(window)
    sq = 0.0
    for v in window:
        d = v - mean
        sq += d * d
    std = math.sqrt(sq / len(window))
    return float("nan") if std == 0.0 else (window[-1] - mean) / std


class ZScoreReversion(CrossingStrategy[ZScoreReversionConfig]):
    """Mean reversion on the rolling z-score of the close (see the module docstring)."""

    def __init__(self, config: ZScoreReversionConfig) -> None:
        super().__init__(config)
        self._closes: dict[str, list[float]] = {}
        self._prev: dict[str, list[bool]] = {}

    def reset(self) -> None:
        self._closes.clear()
        self._prev.clear()

    def apply_split(self, symbol: str, ex_date: date, factor: float) -> bool:
        closes = self._closes.get(symbol)
        if closes is not None:  # z is scale-free: the crossing states stay as they are
            self._closes[symbol] = [v * factor for v in closes]
        return True

    def _conditions(self, z: float) -> list[bool]:
        c = self.config
        if math.isnan(z):
            return [False, False, False, False]
        return [z < -c.entry_z, z > c.entry_z, z > -c.exit_z, z < c.exit_z]

    def _make(self, symbol: str, ts: datetime, close: float, z: float, kind: int) -> Signal:
        cfg = self.config
        why = (f"z below -{cfg.entry_z}", f"z above {cfg.entry_z}", f"z back above -{cfg.exit_z}",
               f"z back below {cfg.exit_z}")[kind]
        return self._signal(symbol, ts, close, kind, why, {"close": close, "z": z})

    def on_bar(self, bar: Bar) -> Sequence[Signal]:
        closes = self._closes.setdefault(bar.symbol, [])
        closes.append(bar.close)
        if len(closes) > self.config.lookback:
            del closes[0]
        z = zscore_of_window(closes) if len(closes) == self.config.lookback else float("nan")
        conds = self._conditions(z)
        prev = self._prev.get(bar.symbol, [False] * 4)
        self._prev[bar.symbol] = conds
        return [self._make(bar.symbol, bar.end, bar.close, z, k) for k in self._fired(conds, prev)]

    def _table(self, symbol: str, s: BarSeries) -> SignalTable:
        cfg = self.config
        z = rolling_zscore(s.close, cfg.lookback)
        ok = ~np.isnan(z)
        bar_idx, kind = self._rows([ok & (z < -cfg.entry_z), ok & (z > cfg.entry_z), ok & (z > -cfg.exit_z),
                                    ok & (z < cfg.exit_z)])

        # Keep only the rows' values: the closure must not pin whole-series arrays in memory.
        def make(k: int, _sym: str = symbol, _e: np.ndarray = s.end_us[bar_idx], _c: F64 = s.close[bar_idx],
                 _k: np.ndarray = kind, _z: F64 = z[bar_idx]) -> Signal:
            return self._make(_sym, from_us(int(_e[k])), float(_c[k]), float(_z[k]), int(_k[k]))

        return SignalTable(symbol, s.end_us[bar_idx], kind, make)
