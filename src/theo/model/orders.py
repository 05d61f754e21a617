"""Order requests, orders and their validation against the instrument (plan §4 Order Service)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from theo.core.errors import OrderValidationError
from theo.model.enums import (
    Allocation,
    OrderStatus,
    OrderType,
    ProductType,
    Routing,
    Side,
    TimeInForce,
)
from theo.model.events import Execution
from theo.model.instruments import Instrument
from theo.model.money import ZERO


class OrderTag(StrEnum):
    """Why an order exists; stored with it (the journal's ``tag``) and shown in the deals report."""

    NONE = ""  # a manual order without a purpose
    ENTRY = "entry"
    STOP_LOSS = "stop_loss"
    TAKE_PROFIT = "take_profit"
    RISK_REDUCTION = "risk_reduction"
    EXIT_RULE = "exit_rule"
    TIME_EXIT = "time_exit"
    MANUAL = "manual"
    KILL_SWITCH = "kill_switch"

    @property
    def opens(self) -> bool:
        """True for an order that may open a position (an entry or an untagged manual order)."""
        return self is OrderTag.ENTRY or self is OrderTag.NONE


#: Tags of the protective orders that rest at the broker as a bracket's children.
PROTECTIVE = frozenset({OrderTag.STOP_LOSS, OrderTag.TAKE_PROFIT})

OPEN_STATUSES = frozenset({OrderStatus.CREATED, OrderStatus.SUBMITTED, OrderStatus.ACCEPTED,
                           OrderStatus.PARTIALLY_FILLED, OrderStatus.PENDING_CANCEL, OrderStatus.PENDING_MODIFY,
                           OrderStatus.UNKNOWN})
TERMINAL_STATUSES = frozenset({OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED,
                               OrderStatus.EXPIRED})


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What a strategy, the trade manager or a user asks for; validated before anything is sent.

    ``trail_amount`` (price units) or ``trail_percent`` (e.g. ``Decimal("1.5")`` = 1.5 %) set a trailing
    stop's distance; exactly one of them is given for ``TRAILING_STOP``. A trailing stop may also carry
    ``stop_price``, its initial stop (IBKR ``trailStopPrice``: the stop never trails looser than it), and
    ``trail_trigger``, the price at which it starts trailing (IBKR's adjusted stop: a plain stop until then).
    ``outside_rth`` lets a LIMIT order work in the pre- and post-market (market-rules.md §4.1).
    """

    symbol: str
    side: Side
    quantity: Decimal
    order_type: OrderType
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    trail_amount: Decimal | None = None
    trail_percent: Decimal | None = None
    trail_trigger: Decimal | None = None
    tif: TimeInForce = TimeInForce.DAY
    routing: Routing = Routing.SMART
    allocation: Allocation = Allocation.FIFO
    product_type: ProductType = ProductType.MARGIN
    outside_rth: bool = False
    strategy: str = ""
    signal_id: int | None = None
    reduce_only: bool = False
    tag: OrderTag = OrderTag.NONE


@dataclass(slots=True)
class Order:
    """An order as the journal knows it: the request, its state and its fills."""

    client_order_id: str
    request: OrderRequest
    status: OrderStatus = OrderStatus.CREATED
    filled_qty: Decimal = ZERO
    avg_fill_price: Decimal | None = None
    parent_id: str | None = None
    oco_group: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    fills: list[Execution] = field(default_factory=list)
    broker_order_id: str = ""
    reason: str = ""
    revision: int = 0  # last broker modification applied (see OrderModified.revision)

    @property
    def symbol(self) -> str:
        return self.request.symbol

    @property
    def side(self) -> Side:
        return self.request.side

    @property
    def quantity(self) -> Decimal:
        return self.request.quantity

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def remaining(self) -> Decimal:
        return self.request.quantity - self.filled_qty

    def add_fill(self, execution: Execution) -> bool:
        """Add ``execution`` unless its ``exec_id`` is already here; update filled qty and average price."""
        if any(f.exec_id == execution.exec_id for f in self.fills):
            return False
        total = self.filled_qty + execution.quantity
        notional = (self.avg_fill_price or ZERO) * self.filled_qty + execution.price * execution.quantity
        self.fills.append(execution)
        self.filled_qty = total
        self.avg_fill_price = notional / total if total else None
        return True


def _bad(req: OrderRequest, field_name: str, value: object, rule: str) -> OrderValidationError:
    return OrderValidationError(f"order {req.side.value} {req.quantity} {req.symbol}: {field_name}={value} {rule}")


def _check_price(req: OrderRequest, inst: Instrument, name: str, value: Decimal | None, needed: bool) -> None:
    if value is None:
        if needed:
            raise _bad(req, name, None, f"is required for a {req.order_type.value} order")
        return
    if not isinstance(value, Decimal) or not value.is_finite():
        raise _bad(req, name, value, "must be a finite Decimal")
    if not needed:
        raise _bad(req, name, value, f"is not used by a {req.order_type.value} order; leave it out")
    if value <= 0:
        raise _bad(req, name, value, "must be > 0")
    if not inst.price_on_tick(value):
        raise _bad(req, name, value, f"is not on the tick size {inst.tick_size} of {inst.symbol}; "
                                     f"round it to a multiple of {inst.tick_size}")


def validate_request(req: OrderRequest, inst: Instrument | None) -> None:
    """Raise :class:`OrderValidationError` naming the field, the value and the rule it breaks."""
    if inst is None:
        raise OrderValidationError(f"order on {req.symbol!r}: unknown instrument; add it to the instruments first")
    if not inst.tradable:
        raise _bad(req, "symbol", req.symbol, "is an index: data only, it cannot be ordered (market-rules.md §5.2)")
    if not isinstance(req.quantity, Decimal) or not req.quantity.is_finite() or req.quantity <= 0:
        raise _bad(req, "quantity", req.quantity, "must be a positive Decimal")
    if not inst.quantity_on_lot(req.quantity):
        raise _bad(req, "quantity", req.quantity, f"must be a whole multiple of the contract size "
                                                  f"{inst.contract_size} of {inst.symbol}")
    kind = req.order_type
    _check_price(req, inst, "limit_price", req.limit_price, kind in (OrderType.LIMIT, OrderType.STOP_LIMIT))
    trailing = kind is OrderType.TRAILING_STOP
    if not (trailing and req.stop_price is None):
        _check_price(req, inst, "stop_price", req.stop_price, kind in (OrderType.STOP, OrderType.STOP_LIMIT)
                     or trailing)
    if req.trail_trigger is not None:
        _check_price(req, inst, "trail_trigger", req.trail_trigger, trailing)
    if trailing:
        if (req.trail_amount is None) == (req.trail_percent is None):
            raise _bad(req, "trail_amount/trail_percent", f"{req.trail_amount}/{req.trail_percent}",
                       "exactly one of them is required for a TRAILING_STOP order")
        if req.trail_amount is not None:
            _check_price(req, inst, "trail_amount", req.trail_amount, True)
        if req.trail_percent is not None and not (ZERO < req.trail_percent < 100):
            raise _bad(req, "trail_percent", req.trail_percent, "must be between 0 and 100 (exclusive)")
    elif req.trail_amount is not None or req.trail_percent is not None:
        raise _bad(req, "trail_amount/trail_percent", f"{req.trail_amount}/{req.trail_percent}",
                   "only a TRAILING_STOP order takes a trail")
    if req.tif in (TimeInForce.IOC, TimeInForce.FOK) and kind not in (OrderType.MARKET, OrderType.LIMIT):
        raise _bad(req, "tif", req.tif.value, "is allowed only for MARKET and LIMIT orders")
    if req.outside_rth and kind is not OrderType.LIMIT:
        # market-rules.md §4.1: only limit orders may work outside regular trading hours.
        raise _bad(req, "outside_rth", True, "is allowed only for LIMIT orders (market-rules.md §4.1)")
    if not isinstance(req.tag, OrderTag):
        raise _bad(req, "tag", req.tag, f"must be one of {sorted(t.value for t in OrderTag if t.value)}")
