"""Base class of every configuration section: frozen, typed, unknown keys rejected."""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, model_validator


def _optional(annotation: Any) -> bool:
    origin = get_origin(annotation)
    return (origin is Union or origin is types.UnionType) and type(None) in get_args(annotation)


class Section(BaseModel):
    """A frozen configuration section; an unknown key is an error, never silently ignored.

    TOML has no null: an optional key (one whose default may be unset) takes the word ``"none"`` to unset it,
    e.g. ``time_exit = "none"`` holds trades overnight, ``max_drawdown_pct = "none"`` turns that breaker off.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _none_word(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        out = None
        for key, value in data.items():
            if isinstance(value, str) and value.strip().lower() == "none":
                field = cls.model_fields.get(key)
                if field is not None and _optional(field.annotation):
                    out = out if out is not None else dict(data)
                    out[key] = None
        return data if out is None else out
