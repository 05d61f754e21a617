"""Donchian breakout: a small momentum strategy, and a template for writing your own.

Rules (every value uses bars up to and including the current one, never later ones):

* long entry when the close crosses above the highest high of the previous ``entry_period`` bars;
* short entry when the close crosses below the lowest low of the previous ``entry_period`` bars;
* long exit when the close crosses below the lowest low of the previous ``exit_period`` bars;
* short exit when the close crosses above the highest high of the previous ``exit_period`` bars.

"Crosses" means the condition holds on this bar and did not on the one before, so a breakout gives one
signal, not one per bar. The strategy has two equal forms: :meth:`on_bar` (streaming, used by ``theo run``)
and :meth:`signal_tables` (NumPy over a whole series, used by ``theo backtest``); a test proves they agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from theo.core.time import from_us
from theo.model.market import Bar
from theo.model.series import F64, BarSeries, SignalTable
from theo.model.signals import Signal
from theo.strategy.library.crossing import CrossingStrategy
from theo.strategy.library.donchian_config import DonchianBreakoutConfig

#: reason of each kind (see crossing.KIND_SIDES)
REASONS = ("close above entry-channel high", "close below entry-channel low", "close below exit-channel low",
           "close above exit-channel high")


def prior_extreme(values: F64, period: int, highest: bool) -> F64:
    """Max (or min) of the ``period`` values before each index; NaN where fewer exist (causal)."""
    out = np.full(values.shape[0], np.nan)
    if values.shape[0] > period:
        windows = sliding_window_view(values[:-1], period)
        out[period:] = windows.max(axis=1) if highest else windows.min(axis=1)
    return out


class _State:
    __slots__ = ("highs", "lows", "prev")

    def __init__(self) -> None:
        self.highs: list[float] = []
        self.lows: list[float] = []
        self.prev = [False, False, False, False]


class DonchianBreakout(CrossingStrategy[DonchianBreakoutConfig]):
    """Trade breakouts of the Donchian channel (see the module docstring for the rules)."""

    def __init__(self, config: DonchianBreakoutConfig) -> None:
        super().__init__(config)
        self._state: dict[str, _State] = {}

    def reset(self) -> None:
        self._state.clear()

    def apply_split(self, symbol: str, ex_date: date, factor: float) -> bool:
        st = self._state.get(symbol)
        if st is not None:  # the crossing states compare prices of one basis: they stay as they are
            st.highs = [v * factor for v in st.highs]
            st.lows = [v * factor for v in st.lows]
        return True

    def _make(self, symbol: str, ts: datetime, close: float, kind: int, upper: float, lower: float) -> Signal:
        return self._signal(symbol, ts, close, kind, REASONS[kind], {"close": close, "upper": upper, "lower": lower})

    def on_bar(self, bar: Bar) -> Sequence[Signal]:
        cfg = self.config
        st = self._state.setdefault(bar.symbol, _State())
        n, m = cfg.entry_period, cfg.exit_period
        conditions = [False, False, False, False]
        up_n = lo_n = float("nan")
        if len(st.highs) >= n:
            up_n, lo_n = max(st.highs[-n:]), min(st.lows[-n:])
            up_m, lo_m = max(st.highs[-m:]), min(st.lows[-m:])
            conditions = [bar.close > up_n, bar.close < lo_n, bar.close < lo_m, bar.close > up_m]
        fired = self._fired(conditions, st.prev)
        st.prev = conditions
        st.highs.append(bar.high)
        st.lows.append(bar.low)
        if len(st.highs) > 2 * n:  # keep memory bounded; only the last n matter
            del st.highs[:-n], st.lows[:-n]
        return [self._make(bar.symbol, bar.end, bar.close, k, up_n, lo_n) for k in fired]

    def _table(self, symbol: str, s: BarSeries) -> SignalTable:
        cfg = self.config
        up_n = prior_extreme(s.high, cfg.entry_period, True)
        lo_n = prior_extreme(s.low, cfg.entry_period, False)
        up_m = prior_extreme(s.high, cfg.exit_period, True)
        lo_m = prior_extreme(s.low, cfg.exit_period, False)
        # NaN comparisons are False: no signal before entry_period bars exist (same as on_bar).
        ready = ~np.isnan(up_n)
        bar_idx, kind = self._rows([ready & (s.close > up_n), ready & (s.close < lo_n),
                                    ready & (s.close < lo_m), ready & (s.close > up_m)])

        # Keep only the rows' values: the closure must not pin whole-series arrays in memory.
        def make(k: int, _sym: str = symbol, _e: np.ndarray = s.end_us[bar_idx], _c: F64 = s.close[bar_idx],
                 _k: np.ndarray = kind, _u: F64 = up_n[bar_idx], _lo: F64 = lo_n[bar_idx]) -> Signal:
            return self._make(_sym, from_us(int(_e[k])), float(_c[k]), int(_k[k]), float(_u[k]), float(_lo[k]))

        return SignalTable(symbol, s.end_us[bar_idx], kind, make)
