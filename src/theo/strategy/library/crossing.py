"""The common body of the four-signal crossing strategies (Donchian breakout, z-score reversion).

Such a strategy computes four conditions per bar, one per signal kind (0 long entry, 1 short entry, 2 long
exit, 3 short exit, as in :class:`~theo.model.series.SignalTable`), and signals where a condition becomes
true. This module holds what both forms (streaming and batch) of every such strategy share.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Generic, Protocol, TypeVar

import numpy as np

from theo.model.enums import Side
from theo.model.series import BarSeries, SignalTable, table_order
from theo.model.signals import InputValue, Signal
from theo.strategy.base import Strategy

#: kind -> (side, exit?); kinds 0/1 are entries, 2/3 exits (see SignalTable)
KIND_SIDES = ((Side.BUY, False), (Side.SELL, False), (Side.SELL, True), (Side.BUY, True))
#: order of the kinds within one bar: exits before entries
EMIT_ORDER = (2, 3, 0, 1)


class CrossingSettings(Protocol):
    """The configuration fields a crossing strategy reads."""

    @property
    def name(self) -> str: ...
    @property
    def timeframe(self) -> str: ...
    @property
    def symbols(self) -> list[str]: ...
    @property
    def allow_long(self) -> bool: ...
    @property
    def allow_short(self) -> bool: ...
    @property
    def stop_loss_pct(self) -> float | None: ...
    @property
    def take_profit_pct(self) -> float | None: ...


C = TypeVar("C", bound=CrossingSettings)


def protective_levels(side: Side, close: float, stop_pct: float | None,
                      target_pct: float | None) -> tuple[float | None, float | None]:
    """Stop and target at fixed percentages from ``close`` on the losing/winning side of ``side``."""
    stop = None if stop_pct is None else close * (1.0 - side.sign * stop_pct / 100.0)
    target = None if target_pct is None else close * (1.0 + side.sign * target_pct / 100.0)
    return stop, target


def crossings(condition: np.ndarray) -> np.ndarray:
    """Indexes where ``condition`` is true and was false on the previous element."""
    prev = np.concatenate(([False], condition[:-1]))
    return np.flatnonzero(condition & ~prev)


class CrossingStrategy(Strategy, Generic[C]):
    """A strategy that signals where one of its four kind conditions becomes true."""

    def __init__(self, config: C) -> None:
        self.config = config
        self.name = config.name

    @property
    def subscriptions(self) -> Sequence[tuple[str, str]]:
        return [(symbol, self.config.timeframe) for symbol in self.config.symbols]

    def _allowed(self, kind: int) -> bool:
        return kind >= 2 or (self.config.allow_long if kind == 0 else self.config.allow_short)

    def _fired(self, conditions: Sequence[bool], previous: Sequence[bool]) -> list[int]:
        """Kinds whose condition became true on this bar and are allowed, in emit order."""
        return [k for k in EMIT_ORDER if conditions[k] and not previous[k] and self._allowed(k)]

    def _signal(self, symbol: str, ts: datetime, close: float, kind: int, reason: str,
                inputs: Mapping[str, InputValue]) -> Signal:
        cfg = self.config
        side, is_exit = KIND_SIDES[kind]
        stop, target = (None, None) if is_exit else protective_levels(side, close, cfg.stop_loss_pct,
                                                                      cfg.take_profit_pct)
        return Signal(cfg.name, symbol, side, ts, close, cfg.timeframe, stop_loss=stop, take_profit=target,
                      exit=is_exit, reason=reason, inputs=inputs)

    def _rows(self, conditions: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Bar index and kind of every allowed crossing of the per-bar ``conditions``, in table order."""
        parts = [(crossings(c), k) for k, c in enumerate(conditions) if self._allowed(k)]
        bar_idx = np.concatenate([p for p, _ in parts])
        kind = np.concatenate([np.full(p.shape[0], k, dtype=np.int8) for p, k in parts])
        order = table_order(bar_idx, kind)
        return bar_idx[order], kind[order]

    @abstractmethod
    def _table(self, symbol: str, s: BarSeries) -> SignalTable:
        """The signal table of one symbol's (non-empty) series."""

    def signal_tables(self, series: Mapping[str, BarSeries]) -> list[SignalTable]:
        """Signals of whole series as columns (one table per symbol); equal to feeding every bar to on_bar."""
        tables: list[SignalTable] = []
        for symbol in self.config.symbols:
            s = series.get(symbol)
            if s is not None and len(s) > 0:
                tables.append(self._table(symbol, s))
        return tables

    def batch_signals(self, series: Mapping[str, BarSeries]) -> list[Signal]:
        """All signals of whole series as objects, in the order streaming gives them."""
        out = [(int(t.ts_us[k]), n, t.make(k)) for n, t in enumerate(self.signal_tables(series))
               for k in range(t.ts_us.shape[0])]
        out.sort(key=lambda x: (x[0], x[1]))
        return [sig for _, _, sig in out]
