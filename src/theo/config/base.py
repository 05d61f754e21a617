"""Base class of every configuration section: frozen, typed, unknown keys rejected."""

from __future__ import annotations

import types
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, model_validator

#: Words a user may write for "off" that TOML or Theo does not take: answered with how to say it.
_OFF_WORDS = frozenset({"off", "null", "nil", "disabled", "disable", "no", "false", "never"})


def is_optional(annotation: Any) -> bool:
    """True when a field of this type may be unset (``X | None``)."""
    origin = get_origin(annotation)
    return (origin is Union or origin is types.UnionType) and type(None) in get_args(annotation)


def _takes_text(annotation: Any) -> bool:
    """True when a string other than "none" may be a real value of the field (str, Path, a Literal of words)."""
    for arg in get_args(annotation) or (annotation,):
        if arg is str or get_origin(arg) is Literal or getattr(arg, "__name__", "") in ("Path", "SecretStr"):
            return True
    return False


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
            field = cls.model_fields.get(key)
            if field is None or not isinstance(value, str) or get_origin(field.annotation) is Literal:
                continue
            word = value.strip().lower()
            if word == "none":
                if _takes_text(field.annotation) and not is_optional(field.annotation):
                    continue  # a name or path may be the word itself
                if not is_optional(field.annotation):
                    fallback = "" if field.is_required() else f" (default {field.default}) or remove the line"
                    raise ValueError(f'{key} = "none": this key cannot be turned off; set a value{fallback}')
                out = out if out is not None else dict(data)
                out[key] = None
            elif word in _OFF_WORDS and is_optional(field.annotation) and not _takes_text(field.annotation):
                raise ValueError(f'{key} = {value!r}: write {key} = "none" to turn it off (TOML has no null)')
        return data if out is None else out
