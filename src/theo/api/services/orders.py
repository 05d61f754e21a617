"""Orders: the order journal's records (current state, events, fills), each linked to its signal and trade."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from theo.api.services.context import Actor, Role, ServiceContext
from theo.api.services.errors import NotFound
from theo.api.services.query import Page, check_page, choice, symbol_value
from theo.model.enums import OrderStatus
from theo.model.events import Execution
from theo.model.orders import Order
from theo.persistence.repositories.order_queries import OrderQueries


class FillItem(BaseModel):
    """One execution with its charges (USD)."""

    exec_id: str
    order_id: str
    symbol: str
    side: str
    quantity: Decimal
    price: Decimal
    ts: datetime
    charges: Decimal
    charges_source: str

    @classmethod
    def of(cls, ex: Execution) -> FillItem:
        return cls(exec_id=ex.exec_id, order_id=ex.client_order_id, symbol=ex.symbol, side=ex.side.value,
                   quantity=ex.quantity, price=ex.price, ts=ex.ts, charges=ex.charges.total,
                   charges_source=ex.charges.source)


class OrderItem(BaseModel):
    """One order as the journal holds it now; ``id`` is the client order id, ``filled`` the filled quantity,
    ``avg_price`` the average fill price, ``reason`` why it was rejected or cancelled (empty otherwise)."""

    id: str
    signal_id: str | None
    trade_id: int | None
    symbol: str
    side: str
    type: str
    tif: str
    quantity: Decimal
    filled: Decimal
    limit_price: Decimal | None
    stop_price: Decimal | None
    avg_price: Decimal | None
    status: str
    reason: str
    created: datetime | None
    updated: datetime | None
    strategy: str
    tag: str


class OrderEvent(BaseModel):
    """A journal event of the order: when, the status it led to (empty when none changed) and what happened."""

    ts: datetime
    status: str
    detail: str


class OrderDetail(OrderItem):
    events: list[OrderEvent]
    fills: list[FillItem]


def _item(o: Order, trade_id: int | None) -> OrderItem:
    r = o.request
    return OrderItem(id=o.client_order_id, signal_id=None if r.signal_id is None else str(r.signal_id),
                     trade_id=trade_id, symbol=r.symbol, side=r.side.value, type=r.order_type.value, tif=r.tif.value,
                     quantity=r.quantity, filled=o.filled_qty, limit_price=r.limit_price, stop_price=r.stop_price,
                     avg_price=o.avg_fill_price, status=o.status.value, reason=o.reason, created=o.created_at,
                     updated=o.updated_at, strategy=r.strategy, tag=str(r.tag))


def order_items(queries: OrderQueries, orders: Sequence[Order],
                trades: Mapping[str, int] | None = None) -> list[OrderItem]:
    """Orders as items, each with the trade it belongs to (looked up unless ``trades`` gives them)."""
    links = dict(trades) if trades is not None else queries.trade_ids(orders)
    return [_item(o, links.get(o.client_order_id)) for o in orders]


def _event_text(e: Mapping[str, Any]) -> str:
    payload = e.get("payload") or {}
    words = str(e["kind"]).replace("_", " ")
    if e["kind"] == "fill" and isinstance(payload, dict) and "quantity" in payload:
        return f"fill {payload['quantity']} @ {payload.get('price', '')}"
    if isinstance(payload, dict) and payload:
        details = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in payload.items() if v not in (None, "", {}))
        return f"{words}: {details}" if details else words
    return words


def list_orders(ctx: ServiceContext, actor: Actor, *, status: str | None = None, symbol: str | None = None,
                limit: int = 100, offset: int = 0, order: str = "desc") -> Page[OrderItem]:
    """Orders of ``status`` (an order status, or ``open`` for every working one), newest first."""
    actor.require(Role.VIEWER, "reading orders")
    check_page(limit, offset)
    st = status.upper() if status and status.lower() != "open" else status
    st = choice(st, ["open"] + [s.value for s in OrderStatus], "status", upper=st != "open") if st else None
    newest = choice(order, ("asc", "desc"), "order") != "asc"
    queries = OrderQueries(ctx.store)
    orders, total = queries.page(status=st, symbol=symbol_value(symbol), limit=limit, offset=offset,
                                 newest_first=newest)
    return Page[OrderItem](items=order_items(queries, orders), total=total)


def get_order(ctx: ServiceContext, actor: Actor, order_id: str) -> OrderDetail:
    """One order with its events and fills; :class:`NotFound` if the journal does not have it."""
    actor.require(Role.VIEWER, "reading orders")
    queries = OrderQueries(ctx.store)
    found = queries.by_ids([order_id])
    if not found:
        raise NotFound(f"order {order_id!r} is not in the journal", field="id")
    o = found[0]
    events = [OrderEvent(ts=e["ts"], status=e["status_to"] or "", detail=_event_text(e))
              for e in queries.events(order_id)]
    base = order_items(queries, found)[0]
    return OrderDetail(**base.model_dump(), events=events, fills=[FillItem.of(f) for f in o.fills])
