"""What the engine records: signals, orders and trades (money in Decimal), and the journal holding them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from theo.model.enums import OrderStatus, Side
from theo.strategy.base import Signal

ZERO = Decimal(0)


@dataclass
class SignalRecord:
    """A signal and what the engine did with it (``EXECUTED``, ``CANCELLED`` = ignored, ``FAILED`` = denied)."""

    signal: Signal
    status: str
    note: str = ""


@dataclass
class OrderRecord:
    """One simulated order: created at a signal (or by a stop/target) and filled at a price."""

    id: str
    strategy: str
    symbol: str
    side: Side
    quantity: Decimal
    purpose: str  # entry | exit-rule | stop-loss | take-profit | trailing-stop
    created: datetime
    status: OrderStatus = OrderStatus.ACCEPTED
    reason: str = ""
    filled: datetime | None = None
    fill_price: Decimal | None = None
    charges: Decimal = ZERO
    fill_index: int = -1


@dataclass
class TradeRecord:
    """A round trip: entry fill, then (once closed) exit fill; ``exit_reason`` says how it closed."""

    id: str
    strategy: str
    symbol: str
    side: Side
    quantity: Decimal
    entry_ts: datetime
    entry_price: Decimal
    entry_charges: Decimal
    entry_index: int
    stop: float | None = None
    target: float | None = None
    trail: float | None = None
    signal_reason: str = ""
    exit_ts: datetime | None = None
    exit_price: Decimal | None = None
    exit_charges: Decimal = ZERO
    exit_index: int = -1
    exit_reason: str = ""

    @property
    def closed(self) -> bool:
        return self.exit_price is not None

    @property
    def charges(self) -> Decimal:
        return self.entry_charges + self.exit_charges

    def gross_pnl(self, mark: Decimal | None = None) -> Decimal:
        """P&L before charges at the exit price, or at ``mark`` while the trade is open."""
        last = self.exit_price if self.exit_price is not None else mark
        if last is None:
            return ZERO
        return (last - self.entry_price) * self.quantity * self.side.sign


Listener = Callable[[str, object], None]


@dataclass
class Journal:
    """Everything a run did, in the order it happened. ``listener(kind, record)`` sees each new record."""

    signals: list[SignalRecord] = field(default_factory=list)
    orders: list[OrderRecord] = field(default_factory=list)
    trades: list[TradeRecord] = field(default_factory=list)
    listener: Listener | None = None
    #: batch path: builds the full, ordered signal list on demand (most signals are never materialised)
    signal_source: Callable[[], list[SignalRecord]] | None = None
    signal_total: int = -1

    def all_signals(self) -> list[SignalRecord]:
        """Every signal of the run in the order it was handled."""
        return self.signal_source() if self.signal_source is not None else self.signals

    @property
    def signal_count(self) -> int:
        return self.signal_total if self.signal_total >= 0 else len(self.signals)

    def add_signal(self, record: SignalRecord) -> None:
        self.signals.append(record)
        if self.listener:
            self.listener("signal", record)

    def add_order(self, record: OrderRecord) -> None:
        self.orders.append(record)
        if self.listener:
            self.listener("order", record)

    def order_changed(self, record: OrderRecord) -> None:
        if self.listener:
            self.listener("order", record)

    def add_trade(self, record: TradeRecord) -> None:
        self.trades.append(record)
        if self.listener:
            self.listener("trade", record)

    def trade_changed(self, record: TradeRecord) -> None:
        if self.listener:
            self.listener("trade", record)
