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

from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from theo.domain.enums import Side
from theo.domain.market import Bar
from theo.engine.series import F64, BarSeries, SignalTable, from_us, table_order
from theo.strategy.base import Signal, Strategy
from theo.strategy.donchian_config import DonchianBreakoutConfig

#: kind -> (side, exit?, reason); kinds 0/1 are entries, 2/3 exits (see SignalTable)
KINDS = ((Side.BUY, False, "close above entry-channel high"), (Side.SELL, False, "close below entry-channel low"),
         (Side.SELL, True, "close below exit-channel low"), (Side.BUY, True, "close above exit-channel high"))
EMIT_ORDER = (2, 3, 0, 1)


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
        self.prev = [False, False, False, False]


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

    def _allowed(self, kind: int) -> bool:
        return kind >= 2 or (self.config.allow_long if kind == 0 else self.config.allow_short)

    def _make(self, symbol: str, ts: datetime, close: float, kind: int, upper: float, lower: float) -> Signal:
        cfg = self.config
        side, is_exit, why = KINDS[kind]
        stop, target = (None, None) if is_exit else protective_levels(side, close, cfg.stop_loss_pct,
                                                                      cfg.take_profit_pct)
        return Signal(cfg.name, symbol, side, ts, close, cfg.timeframe, stop_loss=stop, take_profit=target,
                      exit=is_exit, reason=why, inputs={"close": close, "upper": upper, "lower": lower})

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
        fired = [c and not p for c, p in zip(conditions, st.prev, strict=True)]
        st.prev = conditions
        st.highs.append(bar.high)
        st.lows.append(bar.low)
        if len(st.highs) > 2 * n:  # keep memory bounded; only the last n matter
            del st.highs[:-n], st.lows[:-n]
        return [self._make(bar.symbol, bar.end, bar.close, k, up_n, lo_n) for k in EMIT_ORDER
                if fired[k] and self._allowed(k)]

    def signal_tables(self, series: Mapping[str, BarSeries]) -> list[SignalTable]:
        """Signals of whole series as columns (one table per symbol); equal to feeding every bar to on_bar."""
        cfg = self.config
        tables: list[SignalTable] = []
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
            parts = [(crossings(c), k) for k, c in enumerate(conds) if self._allowed(k)]
            bar_idx = np.concatenate([p for p, _ in parts])
            kind = np.concatenate([np.full(p.shape[0], k, dtype=np.int8) for p, k in parts])
            order = table_order(bar_idx, kind)
            bar_idx, kind = bar_idx[order], kind[order]

            # Keep only the rows' values: the closure must not pin whole-series arrays in memory.
            def make(k: int, _sym: str = symbol, _e: np.ndarray = s.end_us[bar_idx], _c: F64 = s.close[bar_idx],
                     _k: np.ndarray = kind, _u: F64 = up_n[bar_idx], _lo: F64 = lo_n[bar_idx]) -> Signal:
                return self._make(_sym, from_us(int(_e[k])), float(_c[k]), int(_k[k]), float(_u[k]), float(_lo[k]))

            tables.append(SignalTable(symbol, s.end_us[bar_idx], kind, make))
        return tables

    def batch_signals(self, series: Mapping[str, BarSeries]) -> list[Signal]:
        """All signals of whole series as objects, in the order streaming gives them."""
        out = [(int(t.ts_us[k]), n, t.make(k)) for n, t in enumerate(self.signal_tables(series))
               for k in range(t.ts_us.shape[0])]
        out.sort(key=lambda x: (x[0], x[1]))
        return [sig for _, _, sig in out]
