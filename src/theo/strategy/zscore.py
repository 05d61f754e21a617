"""Z-score mean reversion: fade stretched moves, exit when the price is back near its mean.

``z = (close - mean) / std`` over the last ``lookback`` closes, this bar included (population std).
A long opens when z crosses below ``-entry_z`` and closes when z crosses back above ``-exit_z``; a short
opens when z crosses above ``entry_z`` and closes when z crosses back below ``exit_z``.

Both forms (:meth:`on_bar` and :meth:`batch_signals`) sum the window in the same order, so they give the
same floats bit for bit, and therefore the same signals.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np

from theo.domain.enums import Side
from theo.domain.market import Bar
from theo.engine.series import F64, BarSeries, from_us
from theo.strategy.base import Signal, Strategy
from theo.strategy.donchian import crossings, protective_levels
from theo.strategy.zscore_config import ZScoreReversionConfig


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


class ZScoreReversion(Strategy):
    """Mean reversion on the rolling z-score of the close (see the module docstring)."""

    def __init__(self, config: ZScoreReversionConfig) -> None:
        self.config = config
        self.name = config.name
        self._closes: dict[str, list[float]] = {}
        self._prev: dict[str, list[bool]] = {}

    @property
    def subscriptions(self) -> Sequence[tuple[str, str]]:
        return [(symbol, self.config.timeframe) for symbol in self.config.symbols]

    def reset(self) -> None:
        self._closes.clear()
        self._prev.clear()

    def _conditions(self, z: float) -> list[bool]:
        c = self.config
        if math.isnan(z):
            return [False, False, False, False]
        return [z < -c.entry_z, z > c.entry_z, z > -c.exit_z, z < c.exit_z]

    def on_bar(self, bar: Bar) -> Sequence[Signal]:
        closes = self._closes.setdefault(bar.symbol, [])
        closes.append(bar.close)
        if len(closes) > self.config.lookback:
            del closes[0]
        z = zscore_of_window(closes) if len(closes) == self.config.lookback else float("nan")
        conds = self._conditions(z)
        prev = self._prev.get(bar.symbol, [False] * 4)
        self._prev[bar.symbol] = conds
        fired = [c and not p for c, p in zip(conds, prev, strict=True)]
        return self._emit(bar.symbol, bar.end, bar.close, z, fired)

    def batch_signals(self, series: Mapping[str, BarSeries]) -> list[Signal]:
        """All signals of whole series at once; equal to feeding every bar to :meth:`on_bar`."""
        cfg = self.config
        out: list[Signal] = []
        for symbol in cfg.symbols:
            s = series.get(symbol)
            if s is None or len(s) == 0:
                continue
            z = rolling_zscore(s.close, cfg.lookback)
            ok = ~np.isnan(z)
            conds = [ok & (z < -cfg.entry_z), ok & (z > cfg.entry_z), ok & (z > -cfg.exit_z),
                     ok & (z < cfg.exit_z)]
            fired_at = [crossings(c) for c in conds]
            idx = np.unique(np.concatenate(fired_at))
            flags = [np.isin(idx, f) for f in fired_at]
            for j, i in enumerate(idx.tolist()):
                fired = [bool(f[j]) for f in flags]
                out.extend(self._emit(symbol, from_us(int(s.end_us[i])), float(s.close[i]), float(z[i]), fired))
        out.sort(key=lambda sig: (sig.ts, cfg.symbols.index(sig.symbol)))
        return out

    def _emit(self, symbol: str, ts: datetime, close: float, z: float, fired: list[bool]) -> list[Signal]:
        cfg = self.config
        if not any(fired):
            return []
        out: list[Signal] = []
        inputs = {"close": close, "z": z}
        if fired[2]:
            out.append(Signal(cfg.name, symbol, Side.SELL, ts, close, cfg.timeframe, exit=True,
                              reason=f"z back above -{cfg.exit_z}", inputs=inputs))
        if fired[3]:
            out.append(Signal(cfg.name, symbol, Side.BUY, ts, close, cfg.timeframe, exit=True,
                              reason=f"z back below {cfg.exit_z}", inputs=inputs))
        for k, side, why, allowed in ((0, Side.BUY, f"z below -{cfg.entry_z}", cfg.allow_long),
                                      (1, Side.SELL, f"z above {cfg.entry_z}", cfg.allow_short)):
            if fired[k] and allowed:
                stop, target = protective_levels(side, close, cfg.stop_loss_pct, cfg.take_profit_pct)
                out.append(Signal(cfg.name, symbol, side, ts, close, cfg.timeframe, stop_loss=stop,
                                  take_profit=target, reason=why, inputs=inputs))
        return out
