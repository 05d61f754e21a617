"""Routes: strategy configuration (the ``[[strategies]]`` of the configuration file)."""

from __future__ import annotations

from fastapi import APIRouter

from theo.api.deps import Ctx, Trader, Viewer
from theo.api.services import strategy
from theo.api.services.strategy import StrategyList, StrategySaved, StrategyUpdate

router = APIRouter(tags=["strategy"])


@router.get("/strategies", response_model=StrategyList, response_model_by_alias=True)
def list_strategies(ctx: Ctx, actor: Viewer) -> StrategyList:
    """Every strategy of the configuration file with its editable values, the form's JSON schema, and when a
    change applies."""
    return strategy.list_strategies(ctx, actor)


@router.put("/strategies/{index}", response_model=StrategySaved)
def update_strategy(index: int, body: StrategyUpdate, ctx: Ctx, actor: Trader) -> StrategySaved:
    """Change fields of strategy ``index``: validated as the file is (422 {detail, field}), saved atomically
    with comments kept, audited as ``strategy.update``."""
    return strategy.update_strategy(ctx, actor, index, body.values)
