"""JSON values from a form as the TOML a person writes: times as TOML times, numbers as numbers.

The form sends JSON (a Decimal arrives as the string ``"0.5"``, a time as ``"15:55:00"``); the file gets what
the configuration's field type reads best: ``time_exit = 15:55:00``, ``account_risk_pct = 0.5``, and a Decimal
that a float cannot hold exactly stays a string (the loader reads both; a string keeps every digit).
"""

from __future__ import annotations

import types
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Union, get_args, get_origin

import tomlkit
from pydantic import BaseModel


def _members(annotation: Any) -> list[Any]:
    """The types an annotation allows (Optional, unions and Annotated unwrapped)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [m for a in get_args(annotation) for m in _members(a)]
    return [annotation]


def annotation_at(root: Any, path: tuple[str | int, ...]) -> list[Any]:
    """The types the field at ``path`` under ``root`` (a model class or an annotation) allows."""
    current = _members(root)
    for key in path:
        nxt: list[Any] = []
        for member in current:
            origin = get_origin(member)
            if isinstance(key, int):
                if origin is list:
                    nxt.extend(_members(get_args(member)[0]))
            elif isinstance(member, type) and issubclass(member, BaseModel):
                field = member.model_fields.get(key)
                if field is not None:
                    nxt.extend(_members(field.annotation))
            elif origin is dict:
                nxt.extend(_members(get_args(member)[1]))
        current = nxt
    return current


def _number(text: str, as_float: bool) -> Any:
    try:
        d = Decimal(text.strip())
    except InvalidOperation:
        return text
    if not d.is_finite():
        return text
    if d == d.to_integral_value() and abs(d) < 2**63 and not as_float:
        return int(d)
    f = float(d)
    return f if Decimal(repr(f)) == d else text


def _typed(kinds: list[Any], value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() != "none":
        try:
            if time in kinds and str not in kinds:
                return time.fromisoformat(value)
            if datetime in kinds:
                return datetime.fromisoformat(value.replace("Z", "+00:00"))
            if date in kinds:
                return date.fromisoformat(value)
        except ValueError:
            return value  # the loader names the problem
        if str not in kinds and (Decimal in kinds or float in kinds or int in kinds):
            return _number(value, float in kinds and Decimal not in kinds)
    return value


def plain(root: Any, path: tuple[str | int, ...], value: Any) -> Any:
    """``value`` (JSON) converted for the field at ``path``, recursively for tables and lists."""
    kinds = annotation_at(root, path)
    if isinstance(value, dict):
        return {k: plain(root, (*path, k), v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [plain(root, (*path, i), v) for i, v in enumerate(value)]
    return _typed(kinds, value)


def toml_value(root: Any, path: tuple[str | int, ...], value: Any) -> Any:
    """The tomlkit item to write for ``value`` at ``path`` (lists of tables inline, one table per line)."""
    data = plain(root, path, value)
    if isinstance(data, list) and data and all(isinstance(v, dict) for v in data):
        array = tomlkit.array()
        for v in data:
            inline = tomlkit.inline_table()
            inline.update(v)
            array.append(inline)
        if len(data) > 1:
            array.multiline(True)
        return array
    return tomlkit.item(data)
