"""The ``feed_events`` table: when a feed went stale and when it resumed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert

from theo.persistence.models.marketdata import FeedEventRow
from theo.persistence.repositories.base import Repository


class FeedEventRepository(Repository):
    """Feed health events, append-only."""

    def write_feed_event(self, ts: datetime, kind: str, symbol: str, source: str, since: datetime | None,
                         detail: str) -> None:
        """Keep one feed event (``stale`` or ``resumed``)."""
        with self.engine.begin() as conn:
            conn.execute(insert(FeedEventRow), [{"ts": ts, "kind": kind, "symbol": symbol, "source": source,
                                                 "since": since, "detail": detail}])
