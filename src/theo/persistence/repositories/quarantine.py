"""The ``quarantine`` table: rejected input kept with where it came from and why."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, insert, select

from theo.data.quarantine import QuarantineItem
from theo.persistence.models.core import QuarantineRow
from theo.persistence.repositories.base import Repository


class QuarantineRepository(Repository):
    """Rejected file rows and feed messages (nothing bad is silently dropped)."""

    def write_quarantine(self, items: Sequence[QuarantineItem]) -> int:
        """Store ``items``; a file row already quarantined (same source, line, reason) is not added again."""
        if not items:
            return 0
        sources = {i.source for i in items if i.line is not None}
        with self.engine.begin() as conn:
            seen: set[tuple[str, int | None, str]] = set()
            if sources:
                q = select(QuarantineRow.source, QuarantineRow.line, QuarantineRow.reason) \
                    .where(QuarantineRow.source.in_(sources))
                seen = {(s, ln, r) for s, ln, r in conn.execute(q)}
            now = datetime.now(UTC)
            rows = [
                {"created_at": now, "kind": i.kind, "source": i.source, "symbol": i.symbol, "line": i.line,
                 "column": i.column, "value": i.value, "reason": i.reason, "detail": i.detail, "ts": i.ts,
                 "raw": i.raw}
                for i in items if i.line is None or (i.source, i.line, i.reason) not in seen
            ]
            if rows:
                conn.execute(insert(QuarantineRow), rows)
        return len(rows)

    def quarantine_counts(self, source: str | None = None) -> dict[str, int]:
        """Quarantined rows per reason (optionally of one source)."""
        q = select(QuarantineRow.reason, func.count()).group_by(QuarantineRow.reason)
        if source is not None:
            q = q.where(QuarantineRow.source == source)
        with self.engine.connect() as conn:
            return {r: int(n) for r, n in conn.execute(q)}
