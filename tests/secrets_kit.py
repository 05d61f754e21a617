"""Secrets for redaction tests, built at run time so no token-shaped literal sits in the repository."""

from __future__ import annotations

import hashlib


def bot_token(bot_id: int, seed: str) -> str:
    """A value shaped like a Telegram bot token (``<id>:<35 url-safe characters>``), different per ``seed``."""
    tail = hashlib.sha256(seed.encode()).hexdigest()[:33]
    return f"{bot_id}:AA{tail}"
