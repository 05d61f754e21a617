"""Routes: trades (``/trades``, ``/trades/{id}``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from theo.api.deps import Ctx, Viewer
from theo.api.services import trades
from theo.api.services.query import Page

router = APIRouter(tags=["trades"])
From = Annotated[str | None, Query(alias="from", description="Entry from: YYYY-MM-DD (ET) or ISO-8601 time.")]
To = Annotated[str | None, Query(alias="to", description="Entry up to: YYYY-MM-DD (ET, inclusive) or ISO-8601 "
                                                         "time (exclusive).")]


@router.get("/trades", response_model=Page[trades.TradeItem])
def list_trades(ctx: Ctx, actor: Viewer, status: str | None = None, symbol: str | None = None,
                strategy: str | None = None, start: From = None, end: To = None, limit: int = 100,
                offset: int = 0, order: str = "desc") -> Page[trades.TradeItem]:
    """Trades, newest first (``order=asc``: oldest first); ``status`` is open or closed."""
    return trades.list_trades(ctx, actor, status=status, symbol=symbol, strategy=strategy, start=start, end=end,
                              limit=limit, offset=offset, order=order)


@router.get("/trades/{trade_id}", response_model=trades.TradeDetail)
def get_trade(ctx: Ctx, actor: Viewer, trade_id: int) -> trades.TradeDetail:
    """One trade with its orders, fills and signal."""
    return trades.get_trade(ctx, actor, trade_id)
