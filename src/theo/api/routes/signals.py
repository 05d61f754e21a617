"""Routes: signals (``/signals``)."""

from __future__ import annotations

from fastapi import APIRouter

from theo.api.deps import Ctx, Viewer
from theo.api.services import signals
from theo.api.services.query import Page

router = APIRouter(tags=["signals"])


@router.get("/signals", response_model=Page[signals.SignalItem])
def list_signals(ctx: Ctx, actor: Viewer, status: str | None = None, symbol: str | None = None,
                 strategy: str | None = None, limit: int = 100, offset: int = 0) -> Page[signals.SignalItem]:
    """Signals of the paper and live runs, newest first, with what the engine did and the orders and trade."""
    return signals.list_signals(ctx, actor, status=status, symbol=symbol, strategy=strategy, limit=limit,
                                offset=offset)
