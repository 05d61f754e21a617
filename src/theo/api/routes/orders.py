"""Routes: orders (``/orders``, ``/orders/{id}``)."""

from __future__ import annotations

from fastapi import APIRouter

from theo.api.deps import Ctx, Viewer
from theo.api.services import orders
from theo.api.services.query import Page

router = APIRouter(tags=["orders"])


@router.get("/orders", response_model=Page[orders.OrderItem])
def list_orders(ctx: Ctx, actor: Viewer, status: str | None = None, symbol: str | None = None, limit: int = 100,
                offset: int = 0, order: str = "desc") -> Page[orders.OrderItem]:
    """Orders, newest first; ``status`` is an order status or ``open`` (every working order)."""
    return orders.list_orders(ctx, actor, status=status, symbol=symbol, limit=limit, offset=offset, order=order)


@router.get("/orders/{order_id}", response_model=orders.OrderDetail)
def get_order(ctx: Ctx, actor: Viewer, order_id: str) -> orders.OrderDetail:
    """One order with its events and fills."""
    return orders.get_order(ctx, actor, order_id)
