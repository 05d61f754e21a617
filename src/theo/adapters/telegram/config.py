"""Where the bot token comes from: the environment variable ``[telegram] token_env`` names, never the file."""

from __future__ import annotations

import os
import re

from theo.config.telegram import TelegramConfig
from theo.core.errors import ConfigError

_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")


def bot_token(cfg: TelegramConfig, environ: dict[str, str] | None = None) -> str:
    """The token from the environment; :class:`ConfigError` saying which variable to set (never echoing it)."""
    env = os.environ if environ is None else environ
    token = env.get(cfg.token_env, "").strip()
    if not token:
        raise ConfigError(f"[telegram] enabled needs the bot token in the environment variable {cfg.token_env}; "
                          f"create the bot with @BotFather and export {cfg.token_env}=<token> (docs/telegram.md)")
    if not _TOKEN.match(token):
        raise ConfigError(f"the environment variable {cfg.token_env} does not hold a bot token (expected the "
                          f"form <digits>:<letters> that @BotFather gives); check for quotes or spaces")
    return token
