"""Scanner, risk and time-based closure settings from the dashboard: the values in the configuration file, the
JSON schema of their form (from the configuration models), live figures beside the limits, and saving."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from theo.api.services import config_file
from theo.api.services.audit_hook import audited
from theo.api.services.context import Actor, Role, ServiceContext
from theo.api.services.errors import Invalid
from theo.config import TheoConfig
from theo.risk.config import RiskConfig, TradeRules
from theo.strategy.scanner.config import ScannerConfig

#: The keys of the time-based closure form: of ``[risk.trade]`` and of each ``[risk.trade_by_strategy.NAME]``.
CLOSURE_KEYS = ("time_exit", "time_exit_before_close_minutes")


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
          current: dict[str, Any], section: str, changed: Mapping[str, Any] | None = None) -> SettingsView:
    pending = cfg.model_dump(mode="json").get(section) != ctx.config.model_dump(mode="json").get(section)
    return SettingsView(values=values, schema_=schema, current=current, applies=config_file.APPLIES,
                        applies_note=config_file.APPLIES_NOTE,
                        config_path=None if ctx.config_path is None else str(ctx.config_path),
                        restart_pending=pending, changed=dict(changed or {}))


# -- scanner ---------------------------------------------------------------------------------------------------
def _scanner_view(ctx: ServiceContext, cfg: TheoConfig, changed: Mapping[str, Any] | None = None) -> SettingsView:
    current = {"strategies": {s.name: list(getattr(s, "symbols", ())) for s in cfg.strategies}}
    return _view(ctx, cfg, cfg.scanner.model_dump(mode="json"), ScannerConfig.model_json_schema(), current,
                 "scanner", changed)


View = Callable[[ServiceContext, TheoConfig, Mapping[str, Any] | None], SettingsView]


def _save(ctx: ServiceContext, actor: Actor, form: str, values: Any, model: type, view: View) -> SettingsView:
    """Save the ``[risk]`` or ``[scanner]`` keys of ``values`` (``form`` names the section and the audit action)."""
    actor.require(Role.TRADER, f"changing the {form} settings")
    table = config_file.check_table(values, form)
    if form == "closure":
        config_file.require_file(ctx)
        _check_closure(table, config_file.file_config(ctx))
    saved = config_file.save(ctx, ("scanner" if form == "scanner" else "risk",), table, model)
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
    return _view(ctx, cfg, cfg.risk.model_dump(mode="json"), RiskConfig.model_json_schema(), current, "risk",
                 changed)


def get_risk(ctx: ServiceContext, actor: Actor) -> SettingsView:
    """``[risk]`` (limits, breakers, rate limit, exit rules) and the account's live values beside the limits."""
    actor.require(Role.VIEWER, "reading the risk settings")
    return _risk_view(ctx, config_file.file_config(ctx))


def update_risk(ctx: ServiceContext, actor: Actor, values: dict[str, Any]) -> SettingsView:
    return _save(ctx, actor, "risk", values, RiskConfig, _risk_view)


# -- time-based closure ----------------------------------------------------------------------------------------
def _closure_schema() -> dict[str, Any]:
    rules = TradeRules.model_json_schema()
    one = {"type": "object", "title": "Time exit", "additionalProperties": False,
           "properties": {k: rules["properties"][k] for k in CLOSURE_KEYS}}
    return {"type": "object", "title": "Time-based closure", "additionalProperties": False,
            "properties": {"trade": one, "trade_by_strategy": {
                "type": "object", "title": "Per strategy ([risk.trade_by_strategy.NAME] already in the file)",
                "additionalProperties": one}}}


def _closure_values(cfg: TheoConfig) -> dict[str, Any]:
    def pick(rules: TradeRules) -> dict[str, Any]:
        data = rules.model_dump(mode="json")
        return {k: data[k] for k in CLOSURE_KEYS}

    return {"trade": pick(cfg.risk.trade),
            "trade_by_strategy": {name: pick(r) for name, r in sorted(cfg.risk.trade_by_strategy.items())}}


def _next_exits(cfg: TheoConfig, today: date) -> dict[str, Any]:
    """When the next session's intraday trades close, per strategy (null: held overnight)."""
    from theo.core.calendar import get_calendar
    from theo.trading.exits import time_exit_at

    cal = get_calendar(cfg.market.calendar)
    day = today if cal.is_session(today) else cal.next_session(today)
    out: dict[str, Any] = {}
    for s in cfg.strategies:
        at = time_exit_at(day, cal, cfg.risk.rules_for(s.name)) if s.ss_type == "intraday" else None
        out[s.name] = {"ss_type": s.ss_type, "session": day.isoformat(),
                       "exit_at": None if at is None else at.isoformat()}
    return out


def _closure_view(ctx: ServiceContext, cfg: TheoConfig, changed: Mapping[str, Any] | None = None) -> SettingsView:
    from theo.core.calendar import ET

    current = {"strategies": _next_exits(cfg, datetime.now(ET).date())}
    return _view(ctx, cfg, _closure_values(cfg), _closure_schema(), current, "risk", changed)


def get_closure(ctx: ServiceContext, actor: Actor) -> SettingsView:
    """The time exit of intraday trades (``[risk.trade]`` and per-strategy sections) and when it falls next."""
    actor.require(Role.VIEWER, "reading the closure settings")
    return _closure_view(ctx, config_file.file_config(ctx))


def _check_closure(values: Mapping[str, Any], cfg: TheoConfig) -> None:
    for key, table in values.items():
        if key == "trade":
            tables = {"trade": table}
        elif key == "trade_by_strategy" and isinstance(table, Mapping):
            for name in table:
                if name not in cfg.risk.trade_by_strategy:
                    raise Invalid(f"[risk.trade_by_strategy.{name}] is not in the file; a strategy's own exit rules "
                                  "are a whole [risk.trade] section: add it to the file first",
                                  field=f"trade_by_strategy.{name}")
            tables = {f"trade_by_strategy.{n}": t for n, t in table.items()}
        else:
            raise Invalid(f"{key}: not a closure setting (trade, trade_by_strategy)", field=key)
        for where, t in tables.items():
            if not isinstance(t, Mapping):
                raise Invalid(f"{where}: expected a table of {', '.join(CLOSURE_KEYS)}", field=where)
            for k in t:
                if k not in CLOSURE_KEYS:
                    raise Invalid(f"{where}.{k}: not a closure setting ({', '.join(CLOSURE_KEYS)}); edit the other "
                                  "exit rules on the risk form", field=f"{where}.{k}")


def update_closure(ctx: ServiceContext, actor: Actor, values: dict[str, Any]) -> SettingsView:
    return _save(ctx, actor, "closure", values, RiskConfig, _closure_view)
