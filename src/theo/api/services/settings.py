"""Scanner, risk and time-based closure settings from the dashboard: the values in the configuration file, the
JSON schema of their form (from the configuration models), live figures beside the limits, and saving."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from theo.api.services import closure, config_file
from theo.api.services.audit_hook import audited
from theo.api.services.context import Actor, Role, ServiceContext
from theo.api.services.errors import Invalid
from theo.config import TheoConfig
from theo.risk.config import RiskConfig
from theo.strategy.scanner.config import ScannerConfig


class SettingsView(BaseModel):
    values: dict[str, Any]
    schema_: dict[str, Any] = Field(alias="schema", serialization_alias="schema",
                                    description="JSON schema of `values` (from the configuration models)")
    current: dict[str, Any] = Field(description="live values beside their limits, and what the form needs")
    applies: Literal["restart", "next_bar"]
    applies_note: str
    config_path: str | None
    restart_pending: bool
    changed: dict[str, Any] = Field(default_factory=dict, description="after a save: each changed key's new value")

    model_config = {"populate_by_name": True}


class SettingsUpdate(BaseModel):
    values: dict[str, Any] = Field(description="the settings to change (a partial table, shaped as `values`)")


def _view(ctx: ServiceContext, cfg: TheoConfig, values: dict[str, Any], schema: dict[str, Any],
          current: dict[str, Any], sections: tuple[str, ...], changed: Mapping[str, Any] | None = None
          ) -> SettingsView:
    new, running = cfg.model_dump(mode="json"), ctx.config.model_dump(mode="json")
    pending = any(new.get(s) != running.get(s) for s in sections)
    return SettingsView(values=values, schema_=schema, current=current, applies=config_file.APPLIES,
                        applies_note=config_file.APPLIES_NOTE,
                        config_path=None if ctx.config_path is None else str(ctx.config_path),
                        restart_pending=pending, changed=dict(changed or {}))


# -- scanner ---------------------------------------------------------------------------------------------------
def _scanner_view(ctx: ServiceContext, cfg: TheoConfig, changed: Mapping[str, Any] | None = None) -> SettingsView:
    current = {"strategies": {s.name: list(getattr(s, "symbols", ())) for s in cfg.strategies}}
    return _view(ctx, cfg, cfg.scanner.model_dump(mode="json"), ScannerConfig.model_json_schema(), current,
                 ("scanner",), changed)


View = Callable[[ServiceContext, TheoConfig, Mapping[str, Any] | None], SettingsView]


def _save(ctx: ServiceContext, actor: Actor, form: str, values: Any, model: type, view: View) -> SettingsView:
    """Save the keys of ``values`` into section ``form`` (``risk`` or ``scanner``, also the audit action's name)."""
    actor.require(Role.TRADER, f"changing the {form} settings")
    table = config_file.check_table(values, form)
    saved = config_file.save(ctx, (form,), table, model)
    audited(ctx, actor, f"settings.{form}.update", saved, detail=f"{form} settings")
    return view(ctx, saved.config, saved.after)


def get_scanner(ctx: ServiceContext, actor: Actor) -> SettingsView:
    """``[scanner]``: its scanners (schedule, days, direction, instrument ...) and the strategies they bind to."""
    actor.require(Role.VIEWER, "reading the scanner settings")
    return _scanner_view(ctx, config_file.file_config(ctx))


def update_scanner(ctx: ServiceContext, actor: Actor, values: dict[str, Any]) -> SettingsView:
    return _save(ctx, actor, "scanner", values, ScannerConfig, _scanner_view)


# -- risk ------------------------------------------------------------------------------------------------------
def _risk_view(ctx: ServiceContext, cfg: TheoConfig, changed: Mapping[str, Any] | None = None) -> SettingsView:
    from theo.api.services.risk_live import live_risk

    current = live_risk(ctx, cfg).model_dump(mode="json")
    return _view(ctx, cfg, cfg.risk.model_dump(mode="json"), RiskConfig.model_json_schema(), current, ("risk",),
                 changed)


def get_risk(ctx: ServiceContext, actor: Actor) -> SettingsView:
    """``[risk]`` (limits, breakers, rate limit, exit rules) and the account's live values beside the limits."""
    actor.require(Role.VIEWER, "reading the risk settings")
    return _risk_view(ctx, config_file.file_config(ctx))


def update_risk(ctx: ServiceContext, actor: Actor, values: dict[str, Any]) -> SettingsView:
    return _save(ctx, actor, "risk", values, RiskConfig, _risk_view)


# -- time-based closure ----------------------------------------------------------------------------------------
def _closure_view(ctx: ServiceContext, cfg: TheoConfig, changed: Mapping[str, Any] | None = None) -> SettingsView:
    from theo.core.calendar import ET

    current = {"strategies": closure.next_exits(cfg, datetime.now(ET).date())}
    return _view(ctx, cfg, closure.closure_values(cfg), closure.closure_schema(), current, ("risk", "strategies"),
                 changed)


def get_closure(ctx: ServiceContext, actor: Actor) -> SettingsView:
    """The time exit of intraday trades (``[risk.trade]`` and per-strategy sections), which strategies' trades
    it closes (``ss_type``) and when it falls next."""
    actor.require(Role.VIEWER, "reading the closure settings")
    return _closure_view(ctx, config_file.file_config(ctx))


def update_closure(ctx: ServiceContext, actor: Actor, values: dict[str, Any]) -> SettingsView:
    actor.require(Role.TRADER, "changing the closure settings")
    table = config_file.check_table(values, "closure")
    config_file.require_file(ctx)
    cfg = config_file.file_config(ctx)
    try:
        saved = config_file.save(ctx, (), closure.closure_proposal(table, cfg), TheoConfig)
    except Invalid as exc:
        raise Invalid(str(exc), field=closure.form_field(exc.field, cfg)) from None
    audited(ctx, actor, "settings.closure.update", saved, detail="closure settings")
    return _closure_view(ctx, saved.config, saved.after)
