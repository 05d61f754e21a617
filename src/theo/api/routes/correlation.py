"""Routes: correlation heatmap (``/correlation/matrix``) and rolling series (``/correlation/rolling``)."""

from __future__ import annotations

from fastapi import APIRouter

from theo.api.deps import Ctx, Viewer
from theo.api.services import correlation

router = APIRouter(tags=["correlation"])


@router.get("/correlation/matrix", response_model=correlation.Matrix)
def corr_matrix(ctx: Ctx, actor: Viewer, symbols: str, method: str = "pearson", window: int = 100,
                timeframe: str = "15m") -> correlation.Matrix:
    """Pairwise correlation of log returns over the last ``window`` common bars, with points per pair."""
    return correlation.matrix(ctx, actor, symbols=symbols, method=method, window=window, timeframe=timeframe)


@router.get("/correlation/rolling", response_model=correlation.Rolling)
def corr_rolling(ctx: Ctx, actor: Viewer, a: str, b: str, method: str = "pearson", window: int = 100,
                 timeframe: str = "15m", limit: int = 1000) -> correlation.Rolling:
    """Rolling correlation of a pair at each common bar start."""
    return correlation.rolling(ctx, actor, a=a, b=b, method=method, window=window, timeframe=timeframe,
                               limit=limit)
