"""Reads for the system page: whether the store answers, and the newest stored tick per symbol."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, text

from theo.persistence.db import transaction
from theo.persistence.models.core import TickRow
from theo.persistence.repositories.base import Repository


class MonitoringRepository(Repository):
    def ping(self) -> None:
        """Run a trivial statement (raises when the store does not answer)."""
        with transaction(self.engine) as s:
            s.execute(text("SELECT 1"))

    def last_ticks(self, symbols: Sequence[str]) -> dict[str, datetime]:
        """The time of the newest stored tick of each symbol that has one (one index look-up per symbol)."""
        out: dict[str, datetime] = {}
        with transaction(self.engine) as s:
            for symbol in symbols:
                ts = s.scalar(select(func.max(TickRow.ts)).where(TickRow.symbol == symbol))
                if ts is not None:
                    out[symbol] = ts
        return out

    def status_counts(self) -> dict[str, dict[str, int]]:
        """Orders per status and the number of fills."""
        from theo.persistence.models.orders import FillRow, OrderRow

        out: dict[str, dict[str, int]] = {}
        with transaction(self.engine) as s:
            status = OrderRow.status
            out["orders"] = {str(k): int(n) for k, n in s.execute(select(status, func.count()).group_by(status))}
            out["fills"] = {"all": int(s.scalar(select(func.count()).select_from(FillRow)) or 0)}
        return out
