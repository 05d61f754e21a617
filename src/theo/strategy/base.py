"""What every strategy is: it sees closed bars (and optionally ticks) and emits signals.

A strategy never places orders. The engine passes its signals through the scanner rules, the pre-trade
risk checks and the order service; the same strategy code therefore runs in backtest, paper and live.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from theo.model.enums import OrderType, Side
from theo.model.market import Bar, Tick

InputValue = float | int | str | None


@dataclass(frozen=True, slots=True)
class Signal:
    """A strategy's wish to open (or, with ``exit=True``, close) a position.

    ``ts`` is when the signal became known: the end of the bar that produced it, never earlier (no
    look-ahead). ``inputs`` records the values that made it fire (prices, SH/SL, correlation) so a user
    can see why; they are persisted with the signal.
    """

    strategy: str
    symbol: str
    side: Side
    ts: datetime
    price: float
    timeframe: str = ""
    order_type: OrderType = OrderType.MARKET
    limit_price: float | None = None
    stop_loss: float | None = None
    take_profit: float | None = None
    exit: bool = False
    reason: str = ""
    inputs: Mapping[str, InputValue] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str, datetime]:
        """Duplicate-suppression key: same strategy, symbol, side and bar."""
        return (self.strategy, self.symbol, self.side.value, self.ts)


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

    @abstractmethod
    def reset(self) -> None:
        """Forget all state (start of a new backtest run)."""
