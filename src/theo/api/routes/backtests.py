"""Routes: backtests started from the dashboard (run in a background process; results from its output folder)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from theo.api.deps import Ctx, Limit, Offset, Trader, Viewer
from theo.api.services import backtest_results, backtests
from theo.api.services.backtest_models import BacktestItem, BacktestStart, Comparison, DealsPage, EquityCurveBody
from theo.api.services.backtests import BacktestList, Started

router = APIRouter(tags=["backtests"], prefix="/backtests")
#: A run id fits the database's 64-bit integer (a larger one is a 422, not a server error).
RunId = Annotated[int, Path(ge=1, le=2**63 - 1)]
RunIdQuery = Annotated[int, Query(ge=1, le=2**63 - 1, description="a backtest run's id")]


@router.post("", response_model=Started, status_code=202)
def start(body: BacktestStart, ctx: Ctx, actor: Trader) -> Started:
    """Backtest the configuration's strategies (optionally other dates, symbols or strategy values) in the
    background; progress comes as ``backtest`` events and in GET /backtests/{id}. 409 when two already run."""
    return backtests.start_backtest(ctx, actor, body)


@router.get("", response_model=BacktestList)
def list_runs(ctx: Ctx, actor: Viewer, limit: Limit = 100, offset: Offset = 0) -> BacktestList:
    return backtests.list_backtests(ctx, actor, limit, offset)


@router.get("/compare", response_model=Comparison)
def compare(a: RunIdQuery, b: RunIdQuery, ctx: Ctx, actor: Viewer) -> Comparison:
    """Two completed runs' metrics side by side."""
    return backtest_results.compare(ctx, actor, a, b)


@router.get("/{run_id}", response_model=BacktestItem)
def get_run(run_id: RunId, ctx: Ctx, actor: Viewer) -> BacktestItem:
    return backtests.get_backtest(ctx, actor, run_id)


@router.get("/{run_id}/equity", response_model=EquityCurveBody)
def equity(run_id: RunId, ctx: Ctx, actor: Viewer) -> EquityCurveBody:
    return backtest_results.equity(ctx, actor, run_id)


@router.get("/{run_id}/deals", response_model=DealsPage)
def deals(run_id: RunId, ctx: Ctx, actor: Viewer, limit: Limit = 100, offset: Offset = 0) -> DealsPage:
    return backtest_results.deals(ctx, actor, run_id, limit, offset)
