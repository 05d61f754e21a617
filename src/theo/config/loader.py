"""Load the configuration file, apply ``THEO__SECTION__KEY`` environment overrides, validate.

Errors never show a traceback: :class:`~theo.core.errors.ConfigError` names the file, the key path, the
value given and what is expected.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic import SecretStr, ValidationError

from theo.config.schema import TheoConfig
from theo.core.errors import ConfigError

ENV_PREFIX = "THEO__"
#: Keys whose values are secrets: accepted only from the environment, masked on output.
SECRET_KEYS = frozenset({"password", "token", "bot_token", "api_key", "secret"})
#: The password of a URL (``scheme://user:PASSWORD@host``), up to the last ``@`` of the URL.
_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]*:)[^\s'\"]*(?=@)")
#: Secret values read from the environment, masked in every message :func:`redact` sees.
_SECRETS: set[str] = set()
#: Shorter values would mask ordinary words in messages; they are masked by key and in URLs only.
_MIN_MASKED = 4


#: A Telegram bot token (``123456789:AA…``), alone or in a Bot API URL (``/bot<token>/getMe``).
_BOT_TOKEN = re.compile(r"(?<![0-9])\d{5,}:[A-Za-z0-9_-]{30,}")
#: Environment variables whose values are secrets whatever their prefix (THEO_ADMIN_PASSWORD, a bot token ...).
_SECRET_ENV_WORDS = ("PASSWORD", "PASSWD", "TOKEN", "SECRET", "API_KEY", "APIKEY", "ACCESS_KEY", "PRIVATE_KEY",
                     "CREDENTIAL")


def _remember_secret(value: str) -> None:
    if len(value) >= _MIN_MASKED:
        # as given, URL-quoted, and as it appears inside a JSON string (a quote or backslash escaped)
        _SECRETS.update({value, quote(value, safe=""), quote(value), json.dumps(value)[1:-1]})


def remember_environment_secrets(env: Mapping[str, str]) -> None:
    """Mask in every :func:`redact` the values of environment variables named like secrets (any prefix).

    Values under 8 characters are left out here (``TOKEN_TTL=3600`` would mask every 3600 in the logs); the
    ``THEO__…`` secrets are remembered from 4 characters when the configuration is loaded."""
    for name, value in env.items():
        if len(value) >= 8 and any(word in name.upper() for word in _SECRET_ENV_WORDS):
            _remember_secret(value)


def redact(text: str) -> str:
    """``text`` with URL passwords and the secrets given in the environment replaced by ``***``.

    Apply it to every message a user or a log may see that can quote a URL or a value from the config.
    """
    text = _URL_PASSWORD.sub(r"\g<head>***", text)
    text = _BOT_TOKEN.sub("***", text)
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


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
        if key in SECRET_KEYS:
            _remember_secret(env[name])
            node[key] = env[name]
        else:
            node[key] = _parse_env_value(env[name])
        applied.append(name)
    return applied


def _file_secrets(data: Any, path: tuple[str, ...] = ()) -> list[str]:
    """Every secret key found in file data, each with the environment variable to use instead."""
    problems: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key in SECRET_KEYS:
                env = ENV_PREFIX + "__".join((*path, key)).upper()
                problems.append(
                    f"  - {'.'.join((*path, key))}: a secret may not be stored in a file; "
                    f"remove it and set the environment variable {env} instead"
                )
            else:
                problems.extend(_file_secrets(value, (*path, key)))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            problems.extend(_file_secrets(item, (*path, str(i))))
    return problems


_TYPE_NAMES = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
               dict: "a table"}


def _shown(value: Any, secret: bool) -> str:
    if secret:
        return "***"
    if isinstance(value, dict):
        return "a table"
    return repr(value)


def _describe_one(err: Mapping[str, Any]) -> str:
    loc_parts = [str(p) for p in err["loc"]]
    # A discriminated union adds its tag to the path (strategies.0.correlation.x): drop it, users never wrote it.
    if len(loc_parts) > 2 and loc_parts[0] == "strategies" and loc_parts[1].isdigit() and loc_parts[2] in (
        "correlation", "donchian_breakout", "zscore_reversion"
    ):
        del loc_parts[2]
    loc = ".".join(loc_parts)
    value = err.get("input")
    kind = err["type"]
    secret = any(p in SECRET_KEYS for p in loc_parts)
    if kind == "extra_forbidden":
        if isinstance(value, dict):
            return f"  - [{loc}]: unknown section; check the spelling or remove it"
        return f"  - {loc}: unknown key (value {_shown(value, secret)}); check the spelling or remove it"
    if kind == "model_type" or (kind == "dict_type" and not isinstance(value, dict)):
        got = _TYPE_NAMES.get(type(value), type(value).__name__)
        return (f"  - {loc} = {_shown(value, False)}: expected a [{loc}] table (section) of keys, got {got}; "
                f"write it as a [{loc}] section")
    msg = str(err["msg"]).removeprefix("Value error, ")
    if not loc_parts:  # a check across sections (e.g. a scanner naming a strategy)
        return f"  - {msg}"
    if isinstance(value, dict):  # a check across the keys of one section: the message names the keys
        return f"  - {loc}: {msg}"
    return f"  - {loc} = {_shown(value, secret)}: {msg}"


def _describe(errors: ValidationError, source: str) -> str:
    lines = [f"{source}: invalid configuration ({errors.error_count()} problem(s))"]
    lines.extend(_describe_one(err) for err in errors.errors())
    return redact("\n".join(lines))


def _toml_error(source: str, text: str, exc: tomllib.TOMLDecodeError) -> ConfigError:
    """Name the line (and show it) of a TOML syntax error."""
    # Python 3.11 has the position only in the message: "Illegal character (at line 2, column 14)".
    found = re.search(r"\s*\(at line (\d+), column (\d+)\)", str(exc))
    if found is None:
        return ConfigError(redact(f"{source}: not valid TOML: {exc}"))
    reason = str(exc)[: found.start()] or "syntax error"
    line_no, col = int(found.group(1)), int(found.group(2))
    lines = text.splitlines()
    shown = lines[line_no - 1] if 0 < line_no <= len(lines) else ""
    key = shown.split("=", 1)[0].strip().strip("'\"").rsplit(".", 1)[-1].lower()
    if "=" in shown and key in SECRET_KEYS:
        shown = shown.split("=", 1)[0] + "= ***"
    where = f"line {line_no}, column {col}"
    return ConfigError(redact(
        f"{source}: not valid TOML at {where}: {reason}\n  {line_no} | {shown}\n"
        "  fix the syntax (strings need closing quotes, tables look like [section], keys like key = value)"
    ))


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
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ConfigError(f"{source}: not a UTF-8 text file; save the config as UTF-8 TOML") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise _toml_error(source, text, exc) from None
        secrets = _file_secrets(data)
        if secrets:
            raise ConfigError("\n".join([f"{source}: secrets found in the file", *secrets]))
    applied = _apply_env(data, env)
    if applied:
        source += f" (+ environment {', '.join(applied)})"
    try:
        return TheoConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from None


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
