"""Routes: charts (``/charts/bars``) and the symbols with stored bars (``/symbols``)."""

from __future__ import annotations

from fastapi import APIRouter

from theo.api.deps import Ctx, Viewer
from theo.api.routes.trades import From, To
from theo.api.services import charts

router = APIRouter(tags=["charts"])


@router.get("/charts/bars", response_model=charts.Chart)
def chart_bars(ctx: Ctx, actor: Viewer, symbol: str, timeframe: str = "5m", start: From = None, end: To = None,
               limit: int = 1000, swing_left: int = 2, swing_right: int = 2,
               donchian_period: int = 20) -> charts.Chart:
    """Bars (t = UTC epoch seconds of the bar start), swing and Donchian overlays, trade markers."""
    return charts.chart(ctx, actor, symbol=symbol, timeframe=timeframe, start=start, end=end, limit=limit,
                        swing_left=swing_left, swing_right=swing_right, donchian_period=donchian_period)


@router.get("/symbols", response_model=charts.Symbols)
def list_symbols(ctx: Ctx, actor: Viewer) -> charts.Symbols:
    """Symbols with stored bars, their chart timeframes and first and last bar."""
    return charts.symbols(ctx, actor)
