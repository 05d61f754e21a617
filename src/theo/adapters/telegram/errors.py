"""What can go wrong talking to the Bot API, and what the notifier does about each.

::

    TelegramError                 base; the message never holds the bot token
    ├── TelegramUnreachable       network error, timeout, 5xx: keep the message, retry with back-off
    ├── TelegramRateLimited       429: wait ``retry_after`` seconds before the next send
    ├── ChatBlocked               403 (blocked, kicked, deactivated) or chat not found: stop sending to that chat
    ├── ChatMigrated              the group became a supergroup: resend to ``new_chat_id``
    ├── MessageRefused            any other 400: this message cannot be sent; drop it and log why
    └── InvalidBotToken           401/404 on the token: stop, the operator must fix the token
"""

from __future__ import annotations

import warnings
from datetime import timedelta

from telegram import error as tg

from theo.core.errors import TheoError


class TelegramError(TheoError):
    """Base of the adapter's errors."""


class TelegramUnreachable(TelegramError):
    """No answer, a timeout or a server error: the message is kept and retried."""


class TelegramRateLimited(TelegramError):
    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ChatBlocked(TelegramError):
    """The chat cannot receive (bot blocked, removed from the group, chat not found)."""


class ChatMigrated(TelegramError):
    def __init__(self, message: str, new_chat_id: int) -> None:
        super().__init__(message)
        self.new_chat_id = new_chat_id


class MessageRefused(TelegramError):
    """Telegram refused this one message (400); retrying the same text cannot help."""


class InvalidBotToken(TelegramError):
    """The server does not know the token: fix ``[telegram] token_env``'s variable."""


def redact(text: str, token: str) -> str:
    """``text`` with the token (and its numeric bot id's secret half) replaced; PTB puts the token in URLs."""
    if token and token in text:
        text = text.replace(token, "<token>")
    secret = token.split(":", 1)[-1] if ":" in token else ""
    if secret and secret in text:
        text = text.replace(secret, "<token>")
    return text


def seconds(value: int | float | timedelta) -> float:
    """PTB gives ``retry_after`` as seconds or (22.x with PTB_TIMEDELTA) a timedelta: seconds either way."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def translate(exc: BaseException, token: str) -> TelegramError:
    """Our error for a PTB (or transport) exception, its message redacted."""
    msg = redact(str(exc), token)
    if isinstance(exc, tg.RetryAfter):
        with warnings.catch_warnings():  # 22.x warns that the int form goes away; seconds() takes both
            warnings.simplefilter("ignore")
            after = seconds(exc.retry_after)
        return TelegramRateLimited(f"Telegram rate limit: {msg}", after)
    if isinstance(exc, tg.Forbidden):
        return ChatBlocked(msg)
    if isinstance(exc, tg.ChatMigrated):
        return ChatMigrated(msg, int(exc.new_chat_id))
    if isinstance(exc, tg.InvalidToken):
        return InvalidBotToken("Telegram does not accept the bot token; check the variable [telegram] token_env "
                               "names")
    if isinstance(exc, tg.BadRequest):
        if "chat not found" in msg.lower():
            return ChatBlocked(msg)
        return MessageRefused(msg)
    if isinstance(exc, tg.NetworkError | tg.TimedOut | OSError):
        return TelegramUnreachable(msg or type(exc).__name__)
    return TelegramUnreachable(f"{type(exc).__name__}: {msg}")
