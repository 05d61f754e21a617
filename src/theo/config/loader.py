"""Load the configuration file, apply ``THEO__SECTION__KEY`` environment overrides, validate.

Errors never show a traceback: :class:`~theo.errors.ConfigError` names the file, the key path, the
value given and what is expected.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError

from theo.config.schema import TheoConfig
from theo.errors import ConfigError

ENV_PREFIX = "THEO__"
#: Keys whose values are secrets: accepted only from the environment, masked on output.
SECRET_KEYS = frozenset({"password", "token", "bot_token", "api_key", "secret"})


def _parse_env_value(raw: str) -> Any:
    """Interpret an environment value as a TOML value when it parses as one, else as a string."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _apply_env(data: dict[str, Any], env: Mapping[str, str]) -> list[str]:
    applied: list[str] = []
    for name in sorted(env):
        if not name.startswith(ENV_PREFIX):
            continue
        path = [p.lower() for p in name[len(ENV_PREFIX):].split("__") if p]
        if not path:
            continue
        node = data
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"environment {name}: '{part}' is not a section")
            node = child
        key = path[-1]
        node[key] = env[name] if key in SECRET_KEYS else _parse_env_value(env[name])
        applied.append(name)
    return applied


def _reject_file_secrets(data: Any, source: str, path: tuple[str, ...] = ()) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            if key in SECRET_KEYS:
                env = ENV_PREFIX + "__".join((*path, key)).upper()
                raise ConfigError(
                    f"{source}: key '{'.'.join((*path, key))}' is a secret and may not be stored in a file; "
                    f"remove it and set the environment variable {env} instead"
                )
            _reject_file_secrets(value, source, (*path, key))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            _reject_file_secrets(item, source, (*path, str(i)))


def _describe(errors: ValidationError, data: Mapping[str, Any], source: str) -> str:
    lines = [f"{source}: invalid configuration"]
    for err in errors.errors():
        loc = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            lines.append(f"  - {loc}: unknown key (value {err['input']!r}); check the spelling or remove it")
            continue
        value = err.get("input")
        shown = "***" if any(str(p) in SECRET_KEYS for p in err["loc"]) else repr(value)
        if isinstance(value, dict):
            shown = "a section"
        lines.append(f"  - {loc} = {shown}: {err['msg']}")
    return "\n".join(lines)


def load_config(path: Path | str | None = None, env: Mapping[str, str] | None = None) -> TheoConfig:
    """Read ``path`` (TOML; ``None`` for defaults only), apply environment overrides, validate."""
    env = os.environ if env is None else env
    source = str(path) if path is not None else "<defaults>"
    data: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"{source}: config file not found; pass an existing TOML file or none")
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{source}: not valid TOML: {exc}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{source}: not a UTF-8 text file") from None
        _reject_file_secrets(data, source)
    applied = _apply_env(data, env)
    if applied:
        source += f" (+ environment {', '.join(applied)})"
    try:
        return TheoConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, data, source)) from None


def masked_dump(config: TheoConfig) -> dict[str, Any]:
    """The configuration as plain data with every secret replaced by ``'***'``."""

    def mask(value: Any) -> Any:
        if isinstance(value, SecretStr):
            return "***"
        if isinstance(value, dict):
            return {k: mask(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mask(v) for v in value]
        return value

    return mask(config.model_dump(mode="python"))  # type: ignore[no-any-return]
