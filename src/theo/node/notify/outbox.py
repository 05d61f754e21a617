"""The queue between the engine and Telegram: bounded, per chat in order, deduplicated, drop-aware.

``put`` is what a bus handler calls on the engine's thread: it takes a lock for a few dictionary operations and
never waits for Telegram. The sender takes each chat's oldest message (:meth:`Outbox.heads`), marks it in flight,
and reports the outcome (:meth:`Outbox.sent`, :meth:`Outbox.release`, :meth:`Outbox.discard`).

When the queue is full (Telegram unreachable for long), the oldest message of the lowest priority goes first:
summaries, swings and session ticks before signals and orders, those before risk alerts; every drop is counted
by reason and logged.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from theo.core.logging import get_logger
from theo.node.notify.alerts import Alert

log = get_logger(__name__)


class SentLog(Protocol):
    """Which (alert key, chat) pairs were delivered: the deduplication memory."""

    def seen(self, key: str, chat_id: int) -> bool: ...
    def mark(self, key: str, chat_id: int) -> None: ...


class MemorySentLog:
    """Delivered pairs in memory, the newest ``capacity`` of them (a process's lifetime)."""

    def __init__(self, capacity: int = 200_000) -> None:
        self.capacity = capacity
        self._keys: dict[tuple[str, int], None] = {}
        self._lock = threading.Lock()

    def seen(self, key: str, chat_id: int) -> bool:
        with self._lock:
            return (key, chat_id) in self._keys

    def mark(self, key: str, chat_id: int) -> None:
        with self._lock:
            self._keys[(key, chat_id)] = None
            if len(self._keys) > self.capacity:
                del self._keys[next(iter(self._keys))]


@dataclass(eq=False)
class Delivery:
    """One alert for one chat."""

    alert: Alert
    chat_id: int
    seq: int
    silent: bool = False
    in_flight: bool = False
    parts_sent: int = 0  # a text over 4096 characters goes as several messages: those Telegram has taken


class Outbox:
    """See the module docstring. Thread-safe."""

    def __init__(self, size: int, sent: SentLog | None = None) -> None:
        self.size = size
        self.sent_log: SentLog = sent if sent is not None else MemorySentLog()
        self._chats: dict[int, deque[Delivery]] = {}
        self._queued: set[tuple[str, int]] = set()
        self._disabled: set[int] = set()
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._n = 0
        self.dropped: Counter[str] = Counter()  # reason -> messages
        self.duplicates = 0
        self.delivered = 0

    def __len__(self) -> int:
        return self._n

    def put(self, alert: Alert, chats: Iterable[tuple[int, bool]]) -> int:
        """Queue ``alert`` for each (chat, silent) not already sent or queued; the number queued."""
        added = 0
        with self._lock:
            for chat_id, silent in chats:
                pair = (alert.key, chat_id)
                if chat_id in self._disabled:
                    continue
                if pair in self._queued or self.sent_log.seen(*pair):
                    self.duplicates += 1
                    continue
                q = self._chats.setdefault(chat_id, deque())
                if alert.group:
                    self._supersede(q, alert.group)
                if self._n >= self.size:
                    self._drop_one()
                q.append(Delivery(alert, chat_id, next(self._seq), silent))
                self._queued.add(pair)
                self._n += 1
                added += 1
        return added

    def _supersede(self, q: deque[Delivery], group: str) -> None:
        for d in list(q):
            if d.alert.group == group and not d.in_flight:
                self._remove(d)
                self.dropped["superseded"] += 1

    def _remove(self, d: Delivery) -> None:
        q = self._chats.get(d.chat_id)
        if q is not None:
            try:
                q.remove(d)
            except ValueError:
                return
            self._queued.discard((d.alert.key, d.chat_id))
            self._n -= 1

    def _drop_one(self) -> None:
        """Drop the oldest queued message of the lowest priority (never one being sent)."""
        victim: Delivery | None = None
        for q in self._chats.values():
            for d in q:
                if d.in_flight:
                    continue
                if victim is None or (d.alert.priority, d.seq) < (victim.alert.priority, victim.seq):
                    victim = d
                if d.alert.priority == 0:
                    break  # the oldest lowest-priority message of this chat; later ones are newer
        if victim is None:
            return
        self._remove(victim)
        reason = f"full:{victim.alert.kind.value}"
        self.dropped[reason] += 1
        total = sum(n for r, n in self.dropped.items() if r.startswith("full:"))
        log.warning("telegram.queue_full_dropped", kind=victim.alert.kind.value, key=victim.alert.key,
                    chat=victim.chat_id, dropped_total=total, queued=self._n, limit=self.size)

    # -- the sender's side --------------------------------------------------------------------------------------
    def heads(self) -> list[Delivery]:
        """Each chat's oldest message not in flight, oldest first."""
        with self._lock:
            out = [q[0] for q in self._chats.values() if q and not q[0].in_flight]
        return sorted(out, key=lambda d: d.seq)

    def take(self, d: Delivery) -> bool:
        """Mark ``d`` in flight; False when it was dropped meanwhile."""
        with self._lock:
            q = self._chats.get(d.chat_id)
            if not q or q[0] is not d:
                return False
            d.in_flight = True
            return True

    def sent(self, d: Delivery) -> None:
        self.sent_log.mark(d.alert.key, d.chat_id)
        with self._lock:
            self.delivered += 1
            d.in_flight = False
            self._remove(d)

    def release(self, d: Delivery) -> None:
        """Not sent (yet): keep it at the head for the next try."""
        with self._lock:
            d.in_flight = False

    def discard(self, d: Delivery, reason: str) -> None:
        """Give up on ``d`` (Telegram refused it); counted under ``reason``."""
        with self._lock:
            d.in_flight = False
            self._remove(d)
            self.dropped[reason] += 1

    def disable(self, chat_id: int, reason: str) -> int:
        """Stop queueing for ``chat_id`` and drop what waits for it; the number dropped."""
        with self._lock:
            self._disabled.add(chat_id)
            q = self._chats.pop(chat_id, deque())
            for d in q:
                self._queued.discard((d.alert.key, chat_id))
            self._n -= len(q)
            self.dropped[reason] += len(q)
            return len(q)

    def move(self, chat_id: int, new_chat_id: int) -> None:
        """The group became a supergroup: its queue now goes to ``new_chat_id``."""
        with self._lock:
            q = self._chats.pop(chat_id, deque())
            target = self._chats.setdefault(new_chat_id, deque())
            for d in q:
                self._queued.discard((d.alert.key, chat_id))
                d.chat_id, d.in_flight, d.parts_sent = new_chat_id, False, 0  # a new chat gets the whole text
                self._queued.add((d.alert.key, new_chat_id))
                target.append(d)
            self._chats[new_chat_id] = deque(sorted(target, key=lambda d: d.seq))

    def is_disabled(self, chat_id: int) -> bool:
        return chat_id in self._disabled
