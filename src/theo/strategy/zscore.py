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
from theo.engine.series import F64, BarSeries, SignalTable, from_us, table_order
from theo.strategy.base import Signal, Strategy
from theo.strategy.donchian import EMIT_ORDER, crossings, protective_levels
from theo.strategy.zscore_config import ZScoreReversionConfig

#: kind -> (side, exit?); kinds 0/1 are entries, 2/3 exits (see SignalTable)
KINDS = ((Side.BUY, False), (Side.SELL, False), (Side.SELL, True), (Side.BUY, True))


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

    def _allowed(self, kind: int) -> bool:
        return kind >= 2 or (self.config.allow_long if kind == 0 else self.config.allow_short)

    def _make(self, symbol: str, ts: datetime, close: float, z: float, kind: int) -> Signal:
        cfg = self.config
        side, is_exit = KINDS[kind]
        why = (f"z below -{cfg.entry_z}", f"z above {cfg.entry_z}", f"z back above -{cfg.exit_z}",
               f"z back below {cfg.exit_z}")[kind]
        stop, target = (None, None) if is_exit else protective_levels(side, close, cfg.stop_loss_pct,
                                                                      cfg.take_profit_pct)
        return Signal(cfg.name, symbol, side, ts, close, cfg.timeframe, stop_loss=stop, take_profit=target,
                      exit=is_exit, reason=why, inputs={"close": close, "z": z})

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
        return [self._make(bar.symbol, bar.end, bar.close, z, k) for k in EMIT_ORDER if fired[k] and self._allowed(k)]

    def signal_tables(self, series: Mapping[str, BarSeries]) -> list[SignalTable]:
        """Signals of whole series as columns (one table per symbol); equal to feeding every bar to on_bar."""
        cfg = self.config
        tables: list[SignalTable] = []
        for symbol in cfg.symbols:
            s = series.get(symbol)
            if s is None or len(s) == 0:
                continue
            z = rolling_zscore(s.close, cfg.lookback)
            ok = ~np.isnan(z)
            conds = [ok & (z < -cfg.entry_z), ok & (z > cfg.entry_z), ok & (z > -cfg.exit_z), ok & (z < cfg.exit_z)]
            parts = [(crossings(c), k) for k, c in enumerate(conds) if self._allowed(k)]
            bar_idx = np.concatenate([p for p, _ in parts])
            kind = np.concatenate([np.full(p.shape[0], k, dtype=np.int8) for p, k in parts])
            order = table_order(bar_idx, kind)
            bar_idx, kind = bar_idx[order], kind[order]

            # Keep only the rows' values: the closure must not pin whole-series arrays in memory.
            def make(k: int, _sym: str = symbol, _e: np.ndarray = s.end_us[bar_idx], _c: F64 = s.close[bar_idx],
                     _k: np.ndarray = kind, _z: F64 = z[bar_idx]) -> Signal:
                return self._make(_sym, from_us(int(_e[k])), float(_c[k]), float(_z[k]), int(_k[k]))

            tables.append(SignalTable(symbol, s.end_us[bar_idx], kind, make))
        return tables

    def batch_signals(self, series: Mapping[str, BarSeries]) -> list[Signal]:
        """All signals of whole series as objects, in the order streaming gives them."""
        out = [(int(t.ts_us[k]), n, t.make(k)) for n, t in enumerate(self.signal_tables(series))
               for k in range(t.ts_us.shape[0])]
        out.sort(key=lambda x: (x[0], x[1]))
        return [sig for _, _, sig in out]
