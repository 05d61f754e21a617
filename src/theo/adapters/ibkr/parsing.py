"""Mapping tables between Theo's model and IBKR's (``ib_async``) objects, both ways.

Nothing outside this package sees an ``ib_async`` type or an IBKR field name: the adapter turns our
instruments and orders into IBKR contracts and orders here, and IBKR's statuses, sides and numbers back.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from ib_async import Contract, Future, Index, Option, Stock
from ib_async import Order as IbOrder

from theo.core.errors import DataError
from theo.data.futures.contracts import parse_symbol
from theo.model.enums import InstrumentKind, OptionRight, OrderStatus, OrderType, Routing, Side, TimeInForce
from theo.model.instruments import Instrument
from theo.model.orders import Order

ORDER_TYPES: dict[OrderType, str] = {
    OrderType.MARKET: "MKT", OrderType.LIMIT: "LMT", OrderType.STOP: "STP", OrderType.STOP_LIMIT: "STP LMT",
    OrderType.TRAILING_STOP: "TRAIL",
}
ORDER_TYPES_BACK: dict[str, OrderType] = {v: k for k, v in ORDER_TYPES.items()} | {
    "TRAIL LIMIT": OrderType.TRAILING_STOP}
TIFS: dict[TimeInForce, str] = {t: t.value for t in TimeInForce}
SIDES: dict[Side, str] = {Side.BUY: "BUY", Side.SELL: "SELL"}
EXEC_SIDES: dict[str, Side] = {"BOT": Side.BUY, "SLD": Side.SELL, "BUY": Side.BUY, "SELL": Side.SELL}
RIGHTS: dict[OptionRight, str] = {OptionRight.CALL: "C", OptionRight.PUT: "P"}
SEC_TYPES: dict[InstrumentKind, str] = {InstrumentKind.STOCK: "STK", InstrumentKind.ETF: "STK",
                                       InstrumentKind.FUTURE: "FUT", InstrumentKind.INDEX: "IND",
                                       InstrumentKind.OPTION: "OPT"}

#: IBKR order status -> ours. ``PreSubmitted`` is working (held until its trigger or the session opens);
#: ``Inactive`` is an order IBKR will not work (rejected, or outside its permissions).
STATUSES: dict[str, OrderStatus] = {
    "PendingSubmit": OrderStatus.SUBMITTED, "ApiPending": OrderStatus.SUBMITTED,
    "PreSubmitted": OrderStatus.ACCEPTED, "Submitted": OrderStatus.ACCEPTED,
    "PendingCancel": OrderStatus.PENDING_CANCEL, "ApiCancelled": OrderStatus.CANCELLED,
    "Cancelled": OrderStatus.CANCELLED, "Filled": OrderStatus.FILLED, "Inactive": OrderStatus.REJECTED,
    "ValidationError": OrderStatus.ACCEPTED,
}
#: Where ``routing`` sends an order (DIRECT goes to the instrument's primary exchange).
ROUTES: dict[Routing, str] = {Routing.SMART: "SMART", Routing.ARCA: "ARCA", Routing.NYSE: "NYSE",
                              Routing.NASDAQ: "ISLAND", Routing.CBOE: "CBOE"}
UNSET_DOUBLE = 1.7976931348623157e308
UNSET_INT = 2**31 - 1


def dec(value: float | int | str | Decimal | None) -> Decimal | None:
    """A number from IBKR as a Decimal (its float through ``repr``); ``None`` for IBKR's unset markers."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value) or value >= UNSET_DOUBLE):
        return None
    if isinstance(value, int) and value == UNSET_INT:
        return None
    try:
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    except InvalidOperation:
        return None


def contract_for(inst: Instrument, routing: Routing = Routing.SMART, primary: str = "") -> Contract:
    """The IBKR contract of an instrument (stocks and ETFs on SMART unless routed elsewhere)."""
    exchange = _exchange(routing, primary, inst)
    if inst.kind in (InstrumentKind.STOCK, InstrumentKind.ETF):
        return Stock(inst.symbol, exchange, inst.currency, primaryExchange=primary)
    if inst.kind is InstrumentKind.FUTURE:
        if inst.expiry is None:
            raise ValueError(f"future {inst.symbol} has no expiry")
        root = parse_symbol(inst.symbol, today=inst.expiry).root  # MESZ26 -> MES (underlying is the index)
        return Future(root, inst.expiry.strftime("%Y%m%d"), inst.exchange.value, multiplier=str(inst.multiplier),
                      currency=inst.currency)
    if inst.kind is InstrumentKind.INDEX:
        return Index(inst.symbol, inst.exchange.value, inst.currency)
    if inst.expiry is None or inst.strike is None or inst.right is None or inst.underlying is None:
        raise ValueError(f"option {inst.symbol} needs underlying, expiry, strike and right")
    return Option(inst.underlying, inst.expiry.strftime("%Y%m%d"), float(inst.strike), RIGHTS[inst.right],
                  "SMART", multiplier=str(inst.multiplier), currency=inst.currency)


def _exchange(routing: Routing, primary: str, inst: Instrument) -> str:
    if routing is Routing.DIRECT:
        return primary or (inst.exchange.value if inst.exchange.value != "SMART" else "SMART")
    return ROUTES[routing]


def ib_order(order: Order, account: str, order_id: int, *, parent_id: int = 0, transmit: bool = True) -> IbOrder:
    """The IBKR order of ``order``; our client order id travels in ``orderRef``."""
    req = order.request
    ib = IbOrder(orderId=order_id, action=SIDES[req.side], totalQuantity=float(req.quantity),
                 orderType=ORDER_TYPES[req.order_type], tif=TIFS[req.tif], account=account,
                 orderRef=order.client_order_id, transmit=transmit, parentId=parent_id,
                 outsideRth=req.outside_rth)
    if req.limit_price is not None:
        ib.lmtPrice = float(req.limit_price)
    if req.order_type in (OrderType.STOP, OrderType.STOP_LIMIT) and req.stop_price is not None:
        ib.auxPrice = float(req.stop_price)
    if req.order_type is OrderType.TRAILING_STOP:
        set_trail(ib, req.trail_amount, req.trail_percent, req.stop_price, req.trail_trigger)
    if order.oco_group:
        ib.ocaGroup = order.oco_group
        ib.ocaType = 1  # cancel the rest of the group, with block (no overfill)
    return ib


def set_trail(ib: IbOrder, amount: Decimal | None, percent: Decimal | None, initial: Decimal | None,
              trigger: Decimal | None) -> None:
    """A trailing stop: distance as an amount (``auxPrice``) or percent (``trailingPercent``), initial stop
    ``trailStopPrice``; with ``trigger`` it is a plain stop at ``initial`` until the trigger trades (IBKR's
    adjusted order: stop -> trail at ``triggerPrice``)."""
    if trigger is not None and initial is not None:
        ib.orderType = "STP"
        ib.auxPrice = float(initial)
        ib.triggerPrice = float(trigger)
        ib.adjustedOrderType = "TRAIL"
        ib.adjustedStopPrice = float(initial)
        if percent is not None:
            ib.adjustableTrailingUnit = 1
            ib.adjustedTrailingAmount = float(percent)
        else:
            ib.adjustableTrailingUnit = 0
            ib.adjustedTrailingAmount = float(amount or 0)
        return
    if percent is not None:
        ib.trailingPercent = float(percent)
    elif amount is not None:
        ib.auxPrice = float(amount)
    if initial is not None:
        ib.trailStopPrice = float(initial)


def status_of(ib_status: str, filled: Decimal) -> OrderStatus:
    """Our status for an IBKR status string and the quantity filled so far."""
    status = STATUSES.get(ib_status, OrderStatus.UNKNOWN)
    if status is OrderStatus.ACCEPTED and filled > 0:
        return OrderStatus.PARTIALLY_FILLED
    return status


def side_of(ib_side: str) -> Side:
    return EXEC_SIDES[ib_side.upper()]


def utc(ts: datetime | None) -> datetime:
    """IBKR's time (ib_async gives aware datetimes, or naive UTC) as aware UTC; ``now`` when missing."""
    if ts is None:
        return datetime.now(UTC)
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def symbol_of(contract: Contract) -> str:
    """Theo's symbol of an IBKR contract: the stock symbol, or the future's local symbol (``MESZ6``)."""
    if contract.secType == "FUT" and contract.localSymbol:
        local = str(contract.localSymbol).replace(" ", "")
        try:
            return parse_symbol(local).symbol  # IBKR's MESZ6 is Theo's MESZ26
        except DataError:
            return local
    if contract.secType == "OPT" and contract.localSymbol:
        return str(contract.localSymbol).replace(" ", "")
    return str(contract.symbol).upper()
