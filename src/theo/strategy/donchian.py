"""Donchian breakout: a small momentum strategy, and a template for writing your own.

Rules (every value uses bars up to and including the current one, never later ones):

* long entry when the close crosses above the highest high of the previous ``entry_period`` bars;
* short entry when the close crosses below the lowest low of the previous ``entry_period`` bars;
* long exit when the close crosses below the lowest low of the previous ``exit_period`` bars;
* short exit when the close crosses above the highest high of the previous ``exit_period`` bars.

"Crosses" means the condition holds on this bar and did not on the one before, so a breakout gives one
signal, not one per bar. The strategy has two equal forms: :meth:`on_bar` (streaming, used by ``theo run``)
and :meth:`batch_signals` (NumPy over a whole series, used by ``theo backtest``); a test proves they agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from theo.domain.enums import Side
from theo.domain.market import Bar
from theo.engine.series import F64, BarSeries, from_us
from theo.strategy.base import Signal, Strategy
from theo.strategy.donchian_config import DonchianBreakoutConfig


def protective_levels(side: Side, close: float, stop_pct: float | None,
                      target_pct: float | None) -> tuple[float | None, float | None]:
    """Stop and target at fixed percentages from ``close`` on the losing/winning side of ``side``."""
    stop = None if stop_pct is None else close * (1.0 - side.sign * stop_pct / 100.0)
    target = None if target_pct is None else close * (1.0 + side.sign * target_pct / 100.0)
    return stop, target


def prior_extreme(values: F64, period: int, highest: bool) -> F64:
    """Max (or min) of the ``period`` values before each index; NaN where fewer exist (causal)."""
    out = np.full(values.shape[0], np.nan)
    if values.shape[0] > period:
        windows = sliding_window_view(values[:-1], period)
        out[period:] = windows.max(axis=1) if highest else windows.min(axis=1)
    return out


def crossings(condition: np.ndarray) -> np.ndarray:
    """Indexes where ``condition`` is true and was false on the previous element."""
    prev = np.concatenate(([False], condition[:-1]))
    return np.flatnonzero(condition & ~prev)


class _State:
    __slots__ = ("highs", "lows", "prev")

    def __init__(self) -> None:
        self.highs: list[float] = []
        self.lows: list[float] = []
        self.prev = [False, False, False, False]  # long entry, short entry, long exit, short exit


class DonchianBreakout(Strategy):
    """Trade breakouts of the Donchian channel (see the module docstring for the rules)."""

    def __init__(self, config: DonchianBreakoutConfig) -> None:
        self.config = config
        self.name = config.name
        self._state: dict[str, _State] = {}

    @property
    def subscriptions(self) -> Sequence[tuple[str, str]]:
        return [(symbol, self.config.timeframe) for symbol in self.config.symbols]

    def reset(self) -> None:
        self._state.clear()

    def on_bar(self, bar: Bar) -> Sequence[Signal]:
        cfg = self.config
        st = self._state.setdefault(bar.symbol, _State())
        n, m = cfg.entry_period, cfg.exit_period
        conditions = [False, False, False, False]
        levels = (float("nan"),) * 4
        if len(st.highs) >= n:
            up_n, lo_n = max(st.highs[-n:]), min(st.lows[-n:])
            up_m, lo_m = max(st.highs[-m:]), min(st.lows[-m:])
            levels = (up_n, lo_n, lo_m, up_m)
            conditions = [bar.close > up_n, bar.close < lo_n, bar.close < lo_m, bar.close > up_m]
        fired = [c and not p for c, p in zip(conditions, st.prev, strict=True)]
        st.prev = conditions
        st.highs.append(bar.high)
        st.lows.append(bar.low)
        if len(st.highs) > 2 * n:  # keep memory bounded; only the last n matter
            del st.highs[:-n], st.lows[:-n]
        return self._emit(bar.symbol, bar.end, bar.close, fired, levels)

    def batch_signals(self, series: Mapping[str, BarSeries]) -> list[Signal]:
        """All signals of whole series at once; equal to feeding every bar to :meth:`on_bar`."""
        cfg = self.config
        out: list[Signal] = []
        for symbol in cfg.symbols:
            s = series.get(symbol)
            if s is None or len(s) == 0:
                continue
            up_n = prior_extreme(s.high, cfg.entry_period, True)
            lo_n = prior_extreme(s.low, cfg.entry_period, False)
            up_m = prior_extreme(s.high, cfg.exit_period, True)
            lo_m = prior_extreme(s.low, cfg.exit_period, False)
            # NaN comparisons are False: no signal before entry_period bars exist (same as on_bar).
            ready = ~np.isnan(up_n)
            conds = [ready & (s.close > up_n), ready & (s.close < lo_n), ready & (s.close < lo_m),
                     ready & (s.close > up_m)]
            fired_at = [crossings(c) for c in conds]
            idx = np.unique(np.concatenate(fired_at))
            flags = [np.isin(idx, f) for f in fired_at]
            for j, i in enumerate(idx.tolist()):
                fired = [bool(f[j]) for f in flags]
                levels = (float(up_n[i]), float(lo_n[i]), float(lo_m[i]), float(up_m[i]))
                out.extend(self._emit(symbol, from_us(int(s.end_us[i])), float(s.close[i]), fired, levels))
        out.sort(key=lambda sig: (sig.ts, cfg.symbols.index(sig.symbol)))
        return out

    def _emit(self, symbol: str, ts: datetime, close: float, fired: list[bool],
              levels: tuple[float, float, float, float]) -> list[Signal]:
        cfg = self.config
        if not any(fired):
            return []
        out: list[Signal] = []
        # Exits first: a bar that closes a long and opens a short must free the position before re-entering.
        exits = ((2, Side.SELL, "close below exit-channel low"), (3, Side.BUY, "close above exit-channel high"))
        entries = ((0, Side.BUY, "close above entry-channel high", cfg.allow_long),
                   (1, Side.SELL, "close below entry-channel low", cfg.allow_short))
        inputs = {"close": close, "upper": levels[0], "lower": levels[1]}
        for k, side, why in exits:
            if fired[k]:
                out.append(Signal(cfg.name, symbol, side, ts, close, cfg.timeframe,
                                  exit=True, reason=why, inputs=inputs))
        for k, side, why, allowed in entries:
            if fired[k] and allowed:
                stop, target = protective_levels(side, close, cfg.stop_loss_pct, cfg.take_profit_pct)
                out.append(Signal(cfg.name, symbol, side, ts, close, cfg.timeframe,
                                  stop_loss=stop, take_profit=target, reason=why, inputs=inputs))
        return out
