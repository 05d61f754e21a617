"""Pacing within Telegram's flood limits (Bot FAQ, ``../shared/docs/protocol-fakes.md`` §3.5): about 30
messages a second overall, one a second per chat (short bursts tolerated), 20 a minute per group; and a pause
of ``retry_after`` seconds when Telegram answers 429 anyway.

Token buckets on a monotonic clock: :meth:`Pacer.wait` says how long until a message to a chat may leave,
:meth:`Pacer.take` spends the tokens when it does.
"""

from __future__ import annotations

from dataclasses import dataclass

from theo.adapters.telegram.parsing import is_group
from theo.config.telegram import TelegramConfig


@dataclass
class Bucket:
    rate: float  # tokens a second
    capacity: float
    tokens: float
    stamp: float

    def _fill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def wait(self, now: float) -> float:
        self._fill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._fill(now)
        self.tokens -= 1


class Pacer:
    """The global, per-chat and per-group buckets plus the 429 pause."""

    def __init__(self, cfg: TelegramConfig, now: float) -> None:
        self.cfg = cfg
        self.paused_until = 0.0
        self._global = Bucket(cfg.global_per_second, max(1.0, cfg.global_per_second), cfg.global_per_second, now)
        self._chats: dict[int, Bucket] = {}
        self._groups: dict[int, Bucket] = {}

    def _buckets(self, chat_id: int, now: float) -> list[Bucket]:
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = Bucket(self.cfg.chat_per_second, self.cfg.chat_burst,
                                                 self.cfg.chat_burst, now)
        out = [self._global, chat]
        if is_group(chat_id):
            group = self._groups.get(chat_id)
            if group is None:
                n = self.cfg.group_per_minute
                group = self._groups[chat_id] = Bucket(n / 60.0, n, n, now)
            out.append(group)
        return out

    def wait(self, chat_id: int, now: float) -> float:
        """Seconds until a message to ``chat_id`` may leave (0: now)."""
        pause = max(0.0, self.paused_until - now)
        return max([pause, *(b.wait(now) for b in self._buckets(chat_id, now))])

    def take(self, chat_id: int, now: float) -> None:
        for b in self._buckets(chat_id, now):
            b.take(now)

    def pause(self, seconds: float, now: float) -> None:
        """Telegram said 429: nothing leaves for ``seconds``."""
        self.paused_until = max(self.paused_until, now + seconds)
