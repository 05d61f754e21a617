"""Telegram Bot API adapter (python-telegram-bot): sending alerts and the commands' bot.

PTB types stay inside this folder: the notifier hands over chat ids and text and gets our exceptions back
(:mod:`theo.adapters.telegram.errors`).
"""

from theo.adapters.telegram.client import TelegramClient
from theo.adapters.telegram.config import bot_token
from theo.adapters.telegram.errors import (
    ChatBlocked,
    ChatMigrated,
    MessageRefused,
    TelegramError,
    TelegramRateLimited,
    TelegramUnreachable,
)

__all__ = ["ChatBlocked", "ChatMigrated", "MessageRefused", "TelegramClient", "TelegramError",
           "TelegramRateLimited", "TelegramUnreachable", "bot_token"]
