"""Render an effective configuration as TOML or JSON for ``theo config show``.

Times of day in the configuration are wall-clock times in the market's zone (ET); each one is shown with
its UTC equivalent on a given date, because the offset changes with daylight-saving time.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from theo.config.loader import SECRET_KEYS, masked_dump
from theo.config.schema import TheoConfig

UTC = ZoneInfo("UTC")


def utc_equivalent(wall: time, on: date, zone: str) -> str:
    """``wall`` in ``zone`` on ``on``, as an ``HH:MM UTC`` string."""
    instant = datetime.combine(on, wall, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    shift = (instant.date() - on).days
    return f"{instant:%H:%M} UTC" + (f" ({shift:+d} day)" if shift else "")


def _toml_key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else json.dumps(key)


def _toml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Decimal):
        # A string keeps every digit of money exactly; the loader turns it back into a Decimal.
        return json.dumps(str(value))
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return json.dumps(str(value.value))
    if isinstance(value, Path):
        return json.dumps(str(value))
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_scalar(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value))


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _emit_table(name: str, data: dict[str, Any], out: list[str], on: date, zone: str, *, array: bool = False) -> None:
    out.append("")
    out.append(f"[[{name}]]" if array else f"[{name}]")
    nested: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, dict) or _is_table_list(value):
            nested.append((key, value))
            continue
        if value is None:
            # A secret is never written to a file, not even as "none" (the loader refuses it there).
            out.append(f"# {key} is not set" if key in SECRET_KEYS else f'{_toml_key(key)} = "none"  # off')
            continue
        line = f"{_toml_key(key)} = {_toml_scalar(value)}"
        if isinstance(value, time):
            line += f"  # ET; {utc_equivalent(value, on, zone)} on {on.isoformat()}"
        out.append(line)
    for key, value in nested:
        child = f"{name}.{_toml_key(key)}"
        if isinstance(value, dict):
            _emit_table(child, value, out, on, zone)
        else:
            for item in value:
                _emit_table(child, item, out, on, zone, array=True)


def to_toml(config: TheoConfig, on: date) -> str:
    """The effective configuration as TOML (secrets ``***``), times annotated with UTC on ``on``."""
    data = masked_dump(config)
    zone = config.market.timezone
    out = [f"# Effective Theo configuration; times are {zone} wall-clock times, UTC shown for {on.isoformat()}"]
    for key, value in data.items():
        if isinstance(value, dict):
            _emit_table(_toml_key(key), value, out, on, zone)
        elif _is_table_list(value):
            for item in value:
                _emit_table(_toml_key(key), item, out, on, zone, array=True)
        elif isinstance(value, list):
            out.insert(1, f"{_toml_key(key)} = {_toml_scalar(value)}")
    return "\n".join(out) + "\n"


def _jsonable(value: Any, on: date, zone: str) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v, on, zone) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v, on, zone) for v in value]
    if isinstance(value, time):
        instant = datetime.combine(on, value, tzinfo=ZoneInfo(zone)).astimezone(UTC)
        return {"et": value.isoformat(), "utc": instant.isoformat(), "utc_on": on.isoformat()}
    if isinstance(value, Decimal | Path):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def to_json(config: TheoConfig, on: date) -> str:
    """The effective configuration as JSON (secrets ``***``); each time is ``{et, utc, utc_on}``."""
    return json.dumps(_jsonable(masked_dump(config), on, config.market.timezone), indent=2)


def summary(config: TheoConfig) -> list[str]:
    """A few lines describing what a configuration sets up (for ``theo config validate``)."""
    m = config.market
    db = "SQLite (default)" if not config.database.url else config.database.url.split(":", 1)[0]
    return [
        f"mode {config.app.mode}, data_dir {config.app.data_dir}, database {db}",
        f"market: capital {m.capital} USD, calendar {m.calendar}",
        f"  sessions (ET): regular {m.open_time:%H:%M}–{m.close_time:%H:%M}, pre-market from "
        f"{m.pre_market_start:%H:%M}, post-market to {m.post_market_end:%H:%M}",
        f"strategies: {len(config.strategies)} ({', '.join(s.name for s in config.strategies) or 'none'})",
    ]
