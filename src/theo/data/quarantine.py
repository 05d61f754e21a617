"""A quarantined input: what was rejected, where it came from and why (nothing bad is silently dropped)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from theo.core.time import from_us
from theo.data.files import RowRejection


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
                   from_us(rej.ts_us) if rej.ts_us is not None else None, rej.raw or None)
