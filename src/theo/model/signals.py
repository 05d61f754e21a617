"""Signals: a strategy's wish to open or close a position, and what the engine did with it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from theo.model.enums import OrderType, Side, SignalStatus

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


@dataclass(slots=True)
class SignalOutcome:
    """A signal and what the engine did with it: ``EXECUTED`` (an order went out), ``CANCELLED`` (ignored, or
    refused by a scanner gate) or ``FAILED`` (refused by a risk check); ``note`` says why in plain words."""

    signal: Signal
    status: SignalStatus
    note: str = ""
