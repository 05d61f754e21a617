"""Strategy configuration from the dashboard: every editable field of each ``[[strategies]]`` entry, the JSON
schema the form is drawn from (derived from the configuration models), and saving a change into the file."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, TypeAdapter

from theo.api.services import config_file
from theo.api.services.audit_hook import audited
from theo.api.services.context import Actor, Role, ServiceContext
from theo.api.services.errors import Invalid, NotFound
from theo.config import TheoConfig
from theo.strategy.config import StrategyConfig

Applies = Literal["restart", "next_bar"]


class StrategyItem(BaseModel):
    index: int = Field(description="position in the file's [[strategies]] list (what PUT /strategies/{index} takes)")
    name: str
    type: str
    values: dict[str, Any] = Field(description="every field of the strategy, as the schema describes it")


class StrategyList(BaseModel):
    items: list[StrategyItem]
    schema_: dict[str, Any] = Field(alias="schema", serialization_alias="schema",
                                    description="JSON schema of one strategy (a union chosen by `type`)")
    schemas: dict[str, dict[str, Any]] = Field(description="JSON schema per strategy type")
    applies: Applies
    applies_note: str
    config_path: str | None
    restart_pending: bool = Field(description="the file differs from the configuration the process runs with")

    model_config = {"populate_by_name": True}


class StrategyUpdate(BaseModel):
    values: dict[str, Any] = Field(description="the fields to change (a partial table); null resets a key to "
                                               "its default, \"none\" turns an optional one off")


class StrategySaved(StrategyItem):
    applies: Applies
    applies_note: str
    changed: dict[str, Any] = Field(default_factory=dict, description="each changed key's new value")


def strategy_schemas() -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The union schema of a strategy and one schema per type, from the configuration models."""
    union = TypeAdapter(StrategyConfig).json_schema()
    per_type: dict[str, dict[str, Any]] = {}
    for model in _strategy_models():
        per_type[str(model.model_fields["type"].default)] = model.model_json_schema()
    return union, per_type


def _strategy_models() -> list[type[BaseModel]]:
    from theo.strategy.config import CorrelationStrategyConfig, DonchianBreakoutConfig, ZScoreReversionConfig

    return [CorrelationStrategyConfig, DonchianBreakoutConfig, ZScoreReversionConfig]


def _item(index: int, strategy: Any) -> StrategyItem:
    return StrategyItem(index=index, name=strategy.name, type=strategy.type, values=strategy.model_dump(mode="json"))


def _pending(ctx: ServiceContext, cfg: TheoConfig) -> bool:
    return cfg.model_dump(mode="json") != ctx.config.model_dump(mode="json")


def list_strategies(ctx: ServiceContext, actor: Actor) -> StrategyList:
    """The strategies of the configuration file (what the next start runs), with the form's schema."""
    actor.require(Role.VIEWER, "reading the strategy settings")
    cfg = config_file.file_config(ctx)
    union, per_type = strategy_schemas()
    return StrategyList(items=[_item(i, s) for i, s in enumerate(cfg.strategies)], schema_=union, schemas=per_type,
                        applies=config_file.APPLIES, applies_note=config_file.APPLIES_NOTE,
                        config_path=None if ctx.config_path is None else str(ctx.config_path),
                        restart_pending=_pending(ctx, cfg))


def update_strategy(ctx: ServiceContext, actor: Actor, index: int, values: dict[str, Any]) -> StrategySaved:
    """Save ``values`` into strategy ``index`` of the file (validated as the file is; audited)."""
    actor.require(Role.TRADER, "changing a strategy")
    config_file.require_file(ctx)
    values = dict(config_file.check_table(values, "strategy"))
    current = config_file.file_config(ctx).strategies
    if not 0 <= index < len(current):
        raise NotFound(f"no strategy {index}: the file has {len(current)} ([[strategies]] entries 0.."
                       f"{len(current) - 1})")
    strategy = current[index]
    if "type" in values and values["type"] != strategy.type:
        raise Invalid(f"type cannot be changed from the dashboard (it is {strategy.type!r}); edit the file to "
                      "replace the strategy", field="type")
    values.pop("type", None)
    saved = config_file.save(ctx, ("strategies", index), values, type(strategy))
    audited(ctx, actor, "strategy.update", saved, detail=f"strategy {index} ({strategy.name})")
    new = saved.config.strategies[index]
    return StrategySaved(**_item(index, new).model_dump(), applies=config_file.APPLIES,
                         applies_note=config_file.APPLIES_NOTE, changed=saved.after)
