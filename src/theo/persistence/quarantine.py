"""Rejected input kept with where it came from and why (nothing bad is silently dropped)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, func, insert, select

from theo.data.files import RowRejection
from theo.persistence.models.core import QuarantineRow
from theo.persistence.types import from_micros


@dataclass(frozen=True)
class QuarantineItem:
    """One quarantined input: a file row or a feed message."""

    kind: str  # tick | bar | quote | row
    source: str  # file path or feed name
    reason: str
    symbol: str | None = None
    line: int | None = None
    column: str | None = None
    value: str | None = None
    detail: str = ""
    ts: datetime | None = None
    raw: str | None = None

    @classmethod
    def from_rejection(cls, rej: RowRejection, *, kind: str, source: str, symbol: str) -> QuarantineItem:
        return cls(kind, source, rej.reason, symbol, rej.line, rej.column, rej.value, rej.detail,
                   from_micros(rej.ts_us) if rej.ts_us is not None else None, rej.raw or None)


def write_quarantine(engine: Engine, items: Sequence[QuarantineItem]) -> int:
    """Store ``items``; a file row already quarantined (same source, line, reason) is not added again."""
    if not items:
        return 0
    sources = {i.source for i in items if i.line is not None}
    with engine.begin() as conn:
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


def quarantine_counts(engine: Engine, source: str | None = None) -> dict[str, int]:
    """Quarantined rows per reason (optionally of one source)."""
    q = select(QuarantineRow.reason, func.count()).group_by(QuarantineRow.reason)
    if source is not None:
        q = q.where(QuarantineRow.source == source)
    with engine.connect() as conn:
        return {r: int(n) for r, n in conn.execute(q)}
