"""What every strategy is: it sees closed bars (and optionally ticks) and emits signals.

A strategy never places orders. The engine passes its signals through the scanner rules, the pre-trade
risk checks and the order service; the same strategy code therefore runs in backtest, paper and live.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date

from theo.model.market import Bar, Tick
from theo.model.signals import InputValue, Signal

__all__ = ["InputValue", "Signal", "Strategy", "split_bar"]


def split_bar(bar: Bar, factor: float) -> Bar:
    """``bar`` on a split's new basis, as backward adjustment gives it: prices times ``factor``, volume divided."""
    return replace(bar, open=bar.open * factor, high=bar.high * factor, low=bar.low * factor,
                   close=bar.close * factor, volume=bar.volume / factor)


class Strategy(ABC):
    """Base class of strategies. Subclasses set :attr:`name` and implement :meth:`on_bar`.

    Contract: ``on_bar`` is called once per closed bar of every ``(symbol, timeframe)`` in
    :attr:`subscriptions`, in time order (ties in subscription order); it must use only data up to that
    bar. It returns the signals the bar produced (often none).
    """

    name: str = "strategy"

    @property
    @abstractmethod
    def subscriptions(self) -> Sequence[tuple[str, str]]:
        """``(symbol, timeframe)`` pairs whose closed bars this strategy needs."""

    @abstractmethod
    def on_bar(self, bar: Bar) -> Sequence[Signal]:
        """Handle one closed bar; return the signals it produced."""

    def on_tick(self, tick: Tick) -> Sequence[Signal]:
        """Handle one trade tick (most strategies act on bars only)."""
        return ()

    def use_raw_splits(self, splits: Mapping[str, Sequence[tuple[date, float]]]) -> None:
        """Learn the splits still inside the raw bars this strategy will see: per symbol, each ex-date and the
        price factor bars before it would need. A strategy with data-quality gates uses them so that a split
        day is not read as a crash; the others ignore them (the default)."""
        return None

    def apply_split(self, symbol: str, ex_date: date, factor: float) -> bool:
        """A running session reached ``ex_date``, the ex-date of a split of ``symbol``: put every earlier price
        this strategy holds for it on the new basis (prices times ``factor``, volumes divided by it), so its
        windows hold what a start on adjusted history would. Return False when the strategy cannot (the
        default: the running session then warns that its windows mix bases until they pass the ex-date)."""
        return False

    @abstractmethod
    def reset(self) -> None:
        """Forget all state (start of a new backtest run)."""
