"""The time-based closure form: when intraday trades are closed (``[risk.trade] time_exit`` and each strategy's
own ``[risk.trade_by_strategy.NAME]``) and which strategies' trades it closes (each strategy's ``ss_type``:
intraday trades close at the time exit, positional ones are held overnight)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from theo.api.services.errors import Invalid
from theo.config import TheoConfig
from theo.risk.config import TradeRules
from theo.strategy.settings import StrategySettings

#: The keys of the form's exit-time tables: of ``[risk.trade]`` and of each ``[risk.trade_by_strategy.NAME]``.
CLOSURE_KEYS = ("time_exit", "time_exit_before_close_minutes")


def closure_schema() -> dict[str, Any]:
    """The form's JSON schema, from the fields of :class:`TradeRules` and :class:`StrategySettings`."""
    rules = TradeRules.model_json_schema()
    one = {"type": "object", "title": "Time exit", "additionalProperties": False,
           "properties": {k: rules["properties"][k] for k in CLOSURE_KEYS}}
    ss_type = StrategySettings.model_json_schema()["properties"]["ss_type"]
    return {"type": "object", "title": "Time-based closure", "additionalProperties": False,
            "properties": {
                "trade": one,
                "trade_by_strategy": {"type": "object", "additionalProperties": one,
                                      "title": "Per strategy ([risk.trade_by_strategy.NAME] already in the file)"},
                "strategies": {"type": "object", "title": "Which strategies' trades close at the time exit",
                               "additionalProperties": {"type": "object", "additionalProperties": False,
                                                        "properties": {"ss_type": ss_type}}}}}


def closure_values(cfg: TheoConfig) -> dict[str, Any]:
    def pick(rules: TradeRules) -> dict[str, Any]:
        data = rules.model_dump(mode="json")
        return {k: data[k] for k in CLOSURE_KEYS}

    return {"trade": pick(cfg.risk.trade),
            "trade_by_strategy": {name: pick(r) for name, r in sorted(cfg.risk.trade_by_strategy.items())},
            "strategies": {s.name: {"ss_type": s.ss_type} for s in cfg.strategies}}


def next_exits(cfg: TheoConfig, today: date) -> dict[str, Any]:
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


def _exit_tables(key: str, table: Any, cfg: TheoConfig) -> dict[str, Any]:
    if key == "trade":
        return {"trade": table}
    if not isinstance(table, Mapping):
        raise Invalid(f"{key}: expected a table by strategy name", field=key)
    for name in table:
        if name not in cfg.risk.trade_by_strategy:
            raise Invalid(f"[risk.trade_by_strategy.{name}] is not in the file; a strategy's own exit rules are a "
                          "whole [risk.trade] section: add it to the file first", field=f"trade_by_strategy.{name}")
    return {f"trade_by_strategy.{n}": t for n, t in table.items()}


def closure_proposal(values: Mapping[str, Any], cfg: TheoConfig) -> dict[str, Any]:
    """The form's values as a proposal for the whole file (``risk`` and ``strategies``), every key checked."""
    risk: dict[str, Any] = {}
    names = [s.name for s in cfg.strategies]
    strategies: list[dict[str, Any]] = [{} for _ in names]
    for key, table in values.items():
        if key == "strategies":
            if not isinstance(table, Mapping):
                raise Invalid("strategies: expected a table by strategy name", field=key)
            for name, t in table.items():
                if name not in names:
                    raise Invalid(f"strategies.{name}: no such strategy ({', '.join(names) or 'none'})",
                                  field=f"strategies.{name}")
                if not isinstance(t, Mapping) or set(t) - {"ss_type"}:
                    raise Invalid(f"strategies.{name}: only ss_type is a closure setting; edit the rest on the "
                                  "strategy form", field=f"strategies.{name}")
                strategies[names.index(name)] = dict(t)
            continue
        if key not in ("trade", "trade_by_strategy"):
            raise Invalid(f"{key}: not a closure setting (trade, trade_by_strategy, strategies)", field=key)
        for where, t in _exit_tables(key, table, cfg).items():
            if not isinstance(t, Mapping):
                raise Invalid(f"{where}: expected a table of {', '.join(CLOSURE_KEYS)}", field=where)
            for k in t:
                if k not in CLOSURE_KEYS:
                    raise Invalid(f"{where}.{k}: not a closure setting ({', '.join(CLOSURE_KEYS)}); edit the other "
                                  "exit rules on the risk form", field=f"{where}.{k}")
        risk[key] = table
    proposal: dict[str, Any] = {"risk": risk} if risk else {}
    if any(strategies):
        proposal["strategies"] = strategies
    return proposal


def form_field(field: str | None, cfg: TheoConfig) -> str | None:
    """A key path of the file (``risk.trade.time_exit``, ``strategies.0.ss_type``) as the form names it."""
    if field is None:
        return None
    parts = field.split(".")
    if parts[0] == "risk":
        return ".".join(parts[1:])
    if parts[0] == "strategies" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(cfg.strategies):
        return ".".join(["strategies", cfg.strategies[int(parts[1])].name, *parts[2:]])
    return field
