"""The ``alerts_sent`` table: which alert (by the sha256 of its key) each chat has received."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from theo.persistence.models.notify import AlertSentRow
from theo.persistence.repositories.base import Repository


class AlertSentRepository(Repository):
    def mark(self, key_hash: str, chat_id: int, sent_at: datetime) -> None:
        """Record a delivery (a repeat of a recorded one changes nothing)."""
        dialect = postgresql if self.dialect == "postgresql" else sqlite
        stmt = dialect.insert(AlertSentRow).values(key_hash=key_hash, chat_id=chat_id, sent_at=sent_at)
        with self.engine.begin() as conn:
            conn.execute(stmt.on_conflict_do_nothing())

    def since(self, start: datetime) -> list[tuple[str, int]]:
        """(key hash, chat) of the deliveries at or after ``start``."""
        q = select(AlertSentRow.key_hash, AlertSentRow.chat_id).where(AlertSentRow.sent_at >= start)
        with self.engine.connect() as conn:
            return [(k, int(c)) for k, c in conn.execute(q)]

    def prune(self, before: datetime) -> int:
        """Forget deliveries older than ``before``; the number forgotten."""
        with self.engine.begin() as conn:
            return int(conn.execute(delete(AlertSentRow).where(AlertSentRow.sent_at < before)).rowcount or 0)
