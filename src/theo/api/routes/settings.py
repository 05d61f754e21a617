"""Routes: scanner, risk and time-based closure settings (sections of the configuration file)."""

from __future__ import annotations

from fastapi import APIRouter

from theo.api.deps import Ctx, Trader, Viewer
from theo.api.services import settings
from theo.api.services.settings import SettingsUpdate, SettingsView

router = APIRouter(tags=["settings"], prefix="/settings")


@router.get("/scanner", response_model=SettingsView, response_model_by_alias=True)
def get_scanner(ctx: Ctx, actor: Viewer) -> SettingsView:
    """``[scanner]``: the scanners, their schedules, days and filters."""
    return settings.get_scanner(ctx, actor)


@router.put("/scanner", response_model=SettingsView, response_model_by_alias=True)
def put_scanner(body: SettingsUpdate, ctx: Ctx, actor: Trader) -> SettingsView:
    """Change ``[scanner]`` keys (audited as ``settings.scanner.update``)."""
    return settings.update_scanner(ctx, actor, body.values)


@router.get("/risk", response_model=SettingsView, response_model_by_alias=True)
def get_risk(ctx: Ctx, actor: Viewer) -> SettingsView:
    """``[risk]`` and the account's live values beside their limits (daily loss, positions, exposure, PDT)."""
    return settings.get_risk(ctx, actor)


@router.put("/risk", response_model=SettingsView, response_model_by_alias=True)
def put_risk(body: SettingsUpdate, ctx: Ctx, actor: Trader) -> SettingsView:
    """Change ``[risk]`` keys (audited as ``settings.risk.update``)."""
    return settings.update_risk(ctx, actor, body.values)


@router.get("/closure", response_model=SettingsView, response_model_by_alias=True)
def get_closure(ctx: Ctx, actor: Viewer) -> SettingsView:
    """The time exit of intraday trades and when it falls next, per strategy."""
    return settings.get_closure(ctx, actor)


@router.put("/closure", response_model=SettingsView, response_model_by_alias=True)
def put_closure(body: SettingsUpdate, ctx: Ctx, actor: Trader) -> SettingsView:
    """Change the time exit (audited as ``settings.closure.update``)."""
    return settings.update_closure(ctx, actor, body.values)
