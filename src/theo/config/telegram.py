"""The ``[telegram]`` section: the bot's token source, who receives which alerts, and the rate limits.

The token is never in the file: ``token_env`` names the environment variable that holds it. Rate limits default
to the Telegram Bot FAQ's figures (about 30 messages a second overall, one a second per chat, 20 a minute per
group; ``../shared/docs/protocol-fakes.md`` §3.5).
"""

from __future__ import annotations

import re
from datetime import time
from enum import StrEnum
from typing import Literal

from pydantic import Field, field_validator, model_validator

from theo.config.base import Section

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class AlertKind(StrEnum):
    """What an alert is about; a recipient chooses the kinds it gets (``kinds``)."""

    SYSTEM = "system"  # the engine started or stopped, its status
    CONNECTION = "connection"  # broker link and data feed up/down, stale symbols
    SESSION = "session"  # first and last tick of a symbol's trading day
    SWING = "swing"  # a new swing high or low (SH/SL)
    SIGNAL = "signal"
    ORDER = "order"  # placed, rejected, cancelled, expired
    FILL = "fill"
    STOP = "stop"  # a protective stop moved
    TRADE = "trade"  # a trade closed, with its P&L
    RISK = "risk"  # trading state changes and the kill switch
    ERROR = "error"  # errors and warnings on the ``alerts`` topic
    SUMMARY = "summary"  # the daily summary after the close


def parse_hhmm(value: str) -> time:
    m = _HHMM.match(value.strip())
    if m is None:
        raise ValueError(f"{value!r} is not a time of day; write it as HH:MM (24-hour clock, New York time)")
    return time(int(m.group(1)), int(m.group(2)))


class Recipient(Section):
    """One chat (a person, a group or a channel) with its role and the alerts it wants."""

    chat_id: int = Field(description="the chat's numeric id (negative for groups and channels); see docs/telegram.md")
    name: str = Field(default="", description="who this is (audit log, logs); default chat<chat_id>")
    role: Literal["viewer", "trader", "admin"] = Field(
        default="viewer", description="viewer reads; trader also halts, resumes and pulls the kill switch")
    kinds: list[AlertKind] = Field(default_factory=lambda: list(AlertKind),
                                   description="the alert kinds this chat gets (default: all)")
    quiet_hours: str | None = Field(default=None, description='"HH:MM-HH:MM" New York time: only urgent alerts '
                                    "(risk, kill switch, errors) are sent then; may wrap midnight")
    commands: bool = Field(default=True, description="this chat may use the bot's commands (per its role)")

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, v: str | None) -> str | None:
        if v is None:
            return None
        parts = v.split("-")
        if len(parts) != 2:
            raise ValueError(f'quiet_hours = {v!r}: write a range such as "22:00-07:00" (New York time)')
        start, end = (parse_hhmm(p) for p in parts)
        if start == end:
            raise ValueError(f'quiet_hours = {v!r}: start and end are equal; remove the key for no quiet hours')
        return v.strip()

    @property
    def label(self) -> str:
        return self.name or f"chat{self.chat_id}"

    def quiet_window(self) -> tuple[time, time] | None:
        if self.quiet_hours is None:
            return None
        a, b = self.quiet_hours.split("-")
        return parse_hhmm(a), parse_hhmm(b)

    def is_quiet(self, at: time) -> bool:
        """True when the New York time of day ``at`` falls in the quiet hours (start inclusive, end exclusive)."""
        window = self.quiet_window()
        if window is None:
            return False
        start, end = window
        return start <= at < end if start < end else (at >= start or at < end)


class TelegramConfig(Section):
    """Alerts to Telegram chats and the bot's commands (docs/telegram.md)."""

    enabled: bool = Field(default=False, description="send alerts and answer commands inside `theo run`")
    token_env: str = Field(default="THEO_TELEGRAM_TOKEN", min_length=1,
                           description="the environment variable holding the bot token (never the token itself)")
    base_url: str = Field(default="https://api.telegram.org/bot",
                          description="the Bot API address the token is appended to (a local server, a proxy)")
    recipients: list[Recipient] = Field(default_factory=list, description="the chats alerts go to")
    commands: bool = Field(default=True, description="answer /status, /halt, ... by long polling (getUpdates)")
    queue_size: int = Field(default=1000, ge=10, description="messages kept while Telegram is unreachable; "
                            "beyond it the oldest low-priority ones (summaries, swings, session ticks) go first")
    global_per_second: float = Field(default=30.0, gt=0, description="messages a second over all chats")
    chat_per_second: float = Field(default=1.0, gt=0, description="messages a second to one chat")
    chat_burst: int = Field(default=3, ge=1, description="messages one chat may get at once before pacing")
    group_per_minute: int = Field(default=20, ge=1, description="messages a minute to one group or channel")
    request_timeout: float = Field(default=10.0, gt=0, description="seconds one Bot API call may take")
    poll_timeout: int = Field(default=30, ge=0, le=50, description="getUpdates long-poll seconds")
    retry_max_seconds: float = Field(default=30.0, gt=0, description="longest wait between retries while "
                                     "Telegram is unreachable")
    repeat_minutes: float = Field(default=15.0, gt=0, description="the same error or warning text is sent at "
                                  "most once in this window")
    summary_delay_minutes: int = Field(default=15, ge=0, description="the daily summary goes out this long after "
                                       "the regular close (New York time, exchange calendar)")
    confirm_seconds: int = Field(default=120, ge=10, description="an unanswered /halt, /resume or /kill "
                                 "confirmation expires after this long")

    @model_validator(mode="after")
    def _unique_chats(self) -> TelegramConfig:
        seen: set[int] = set()
        for r in self.recipients:
            if r.chat_id in seen:
                raise ValueError(f"[[telegram.recipients]] chat_id {r.chat_id} is listed twice; keep one entry "
                                 f"per chat")
            seen.add(r.chat_id)
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url = {self.base_url!r}: give an http(s) address such as "
                             f"https://api.telegram.org/bot")
        return self

    def recipient(self, chat_id: int) -> Recipient | None:
        return next((r for r in self.recipients if r.chat_id == chat_id), None)
