"""The broker interface every adapter implements (simulated now, IBKR later) and its value types.

Contract: ``submit`` carries our ``client_order_id`` to the broker (IBKR: ``orderRef``) so the order can be
found again after a crash; every change of an order is reported through the handlers given to
``subscribe`` as a :class:`~theo.model.events.BrokerEvent`; ``order_status``, ``open_orders``,
``executions`` and ``positions`` answer from the broker's own records, which are the source of truth.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from theo.model.enums import Allocation, OrderStatus, OrderType, ProductType, Routing, Side, TimeInForce
from theo.model.events import (
    BrokerEvent,
    Charges,
    Execution,
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderPartiallyFilled,
    OrderRejected,
)
from theo.model.money import ZERO
from theo.model.orders import Order

__all__ = ["AccountValues", "Broker", "BrokerEvent", "BrokerOrder", "BrokerPosition", "Charges", "EventHandler",
           "Execution", "OrderAccepted", "OrderCancelled", "OrderExpired", "OrderFilled", "OrderModified",
           "OrderPartiallyFilled", "OrderRejected"]

EventHandler = Callable[[BrokerEvent], None]


@dataclass(frozen=True, slots=True)
class BrokerOrder:
    """An order as the broker sees it."""

    client_order_id: str
    broker_order_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    filled_qty: Decimal
    status: OrderStatus
    tif: TimeInForce
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    avg_fill_price: Decimal | None = None
    perm_id: str = ""
    reason: str = ""
    revision: int = 0
    routing: Routing = Routing.SMART
    allocation: Allocation = Allocation.FIFO
    product_type: ProductType = ProductType.MARGIN
    outside_rth: bool = False
    oco_group: str | None = None
    trail_amount: Decimal | None = None
    trail_percent: Decimal | None = None
    parent_id: str | None = None


@dataclass(frozen=True, slots=True)
class BrokerPosition:
    """A position as the broker sees it; ``quantity`` is signed (short < 0)."""

    symbol: str
    quantity: Decimal
    avg_cost: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class AccountValues:
    """Account figures in USD as the broker reports them."""

    cash: Decimal
    equity: Decimal
    buying_power: Decimal
    gross_position_value: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    total_charges: Decimal = ZERO
    currency: str = "USD"


class Broker(ABC):
    """A venue that works our orders. Adapters live in their own folder (``simulated/``, ``ibkr/``)."""

    name: str = "broker"

    @abstractmethod
    def connect(self) -> None:
        """Open the connection (or load the state); idempotent."""

    @abstractmethod
    def disconnect(self) -> None:
        """Close the connection; working orders stay at the broker."""

    def refusal(self) -> str:
        """Why no new order can be sent now ('' when it can), e.g. the connection to the broker is down."""
        return ""

    @abstractmethod
    def submit(self, order: Order) -> None:
        """Send ``order``; the answer comes as an event. Raise :class:`~theo.core.errors.BrokerError` when unsure."""

    @abstractmethod
    def submit_bracket(self, parent: Order, children: Sequence[Order]) -> None:
        """Send an entry with its protective children (IBKR: parent and children with ``transmit`` on the last
        child). The broker holds the children until the parent fills, sizes them to what filled, and makes
        them one-cancels-other (``oco_group``). Raise :class:`~theo.core.errors.BrokerError` when unsure."""

    @abstractmethod
    def modify(self, client_order_id: str, *, quantity: Decimal | None = None, limit_price: Decimal | None = None,
               stop_price: Decimal | None = None) -> None:
        """Change a working order; :class:`OrderModified` confirms it."""

    @abstractmethod
    def cancel(self, client_order_id: str) -> None:
        """Ask to cancel a working order; :class:`OrderCancelled` confirms it."""

    @abstractmethod
    def order_status(self, client_order_id: str) -> BrokerOrder | None:
        """The broker's record of the order, or ``None`` when the broker never received it."""

    @abstractmethod
    def open_orders(self) -> list[BrokerOrder]:
        """Every order still working at the broker."""

    @abstractmethod
    def executions(self, since: datetime | None = None) -> list[Execution]:
        """Executions (with charges) at or after ``since``, oldest first."""

    @abstractmethod
    def positions(self) -> dict[str, BrokerPosition]:
        """Non-zero positions by symbol."""

    @abstractmethod
    def account_values(self) -> AccountValues:
        """Cash, equity and buying power."""

    @abstractmethod
    def subscribe(self, handler: EventHandler) -> None:
        """Call ``handler`` with every :class:`BrokerEvent` from now on."""
