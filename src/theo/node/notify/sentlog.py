"""Deduplication that survives a restart: delivered (alert key, chat) pairs kept in the ``alerts_sent`` table.

The engine's thread must not wait on the database either, so :meth:`StoredSentLog.seen` reads memory only: the
deliveries of the last ``keep_days`` are loaded once at start, and :meth:`StoredSentLog.mark` (called by the
notifier's thread after a send) writes through. Older rows are pruned at start; an event older than that is not
re-published by a restarted engine (it resumes from its checkpoint) and a redelivering bus keeps hours, not weeks.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from theo.core.logging import get_logger
from theo.node.notify.outbox import MemorySentLog
from theo.persistence.repositories import Store
from theo.persistence.repositories.alerts import AlertSentRepository

log = get_logger(__name__)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class StoredSentLog(MemorySentLog):
    """The memory log, loaded from and written through to the store."""

    def __init__(self, store: Store, keep_days: int = 14) -> None:
        super().__init__()
        self.repo = AlertSentRepository(store)
        now = datetime.now(UTC)
        pruned = self.repo.prune(now - timedelta(days=keep_days))
        loaded = self.repo.since(now - timedelta(days=keep_days))
        for h, chat in loaded:
            super().mark(h, chat)
        log.debug("telegram.sent_log_loaded", deliveries=len(loaded), pruned=pruned)

    def seen(self, key: str, chat_id: int) -> bool:
        return super().seen(key_hash(key), chat_id)

    def mark(self, key: str, chat_id: int) -> None:
        h = key_hash(key)
        super().mark(h, chat_id)
        try:
            self.repo.mark(h, chat_id, datetime.now(UTC))
        except Exception:  # the store is down: this process still remembers; a restart may repeat this one
            log.warning("telegram.sent_log_write_failed", chat=chat_id, exc_info=True)
