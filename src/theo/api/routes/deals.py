"""Routes: the deals report (``/deals`` pages, ``/deals.csv`` download)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from theo.api.deps import Ctx, Viewer
from theo.api.routes.trades import From, To
from theo.api.services import deals

router = APIRouter(tags=["deals"])


@router.get("/deals", response_model=deals.DealsPage)
def list_deals(ctx: Ctx, actor: Viewer, symbol: str | None = None, strategy: str | None = None,
               start: From = None, end: To = None, side: str | None = None, limit: int = 100,
               offset: int = 0) -> deals.DealsPage:
    """Deals (plan §7 columns) by entry time, oldest first, with a summary of all that match."""
    return deals.list_deals(ctx, actor, symbol=symbol, strategy=strategy, start=start, end=end, side=side,
                            limit=limit, offset=offset)


@router.get("/deals.csv", response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}, "description": "The deals as CSV."}})
def deals_csv(ctx: Ctx, actor: Viewer, symbol: str | None = None, strategy: str | None = None,
              start: From = None, end: To = None, side: str | None = None) -> StreamingResponse:
    """Every deal that matches, as ``theo report deals --format csv`` writes it."""
    chunks = deals.deals_csv(ctx, actor, symbol=symbol, strategy=strategy, start=start, end=end, side=side)
    return StreamingResponse(chunks, media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="deals.csv"'})
