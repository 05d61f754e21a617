"""Routes: the trading state, halt, resume and the kill switch."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from theo.api.deps import Ctx, Trader, Viewer
from theo.api.services import state

router = APIRouter(prefix="/state", tags=["state"])
_CHANGE: dict[int | str, dict[str, Any]] = {409: {"description": "already in that state"}}


@router.get("", response_model=state.StateView)
def get_state(actor: Viewer, ctx: Ctx) -> state.StateView:
    return state.get_state(ctx, actor)


@router.post("/halt", response_model=state.StateView, responses=_CHANGE)
def halt(body: state.ReasonBody, actor: Trader, ctx: Ctx) -> state.StateView:
    """HALT trading: nothing but cancels leaves; the engine adopts it at its next sweep."""
    return state.halt(ctx, actor, body.reason)


@router.post("/resume", response_model=state.StateView, responses=_CHANGE)
def resume(body: state.ReasonBody, actor: Trader, ctx: Ctx) -> state.StateView:
    """Back to ACTIVE."""
    return state.resume(ctx, actor, body.reason)


@router.post("/kill", response_model=state.StateView)
def kill(body: state.KillBody, actor: Trader, ctx: Ctx) -> state.StateView:
    """Kill switch: cancel working entries (stops and targets stay), optionally flatten, then HALT."""
    return state.kill(ctx, actor, body.reason, flatten=body.flatten)
