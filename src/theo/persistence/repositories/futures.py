"""The ``roll_events`` table: rolls of continuous futures series; saving the same roll again changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select

from theo.data.futures.continuous import RollEvent
from theo.persistence.db import transaction
from theo.persistence.models.futures import RollEventRow
from theo.persistence.repositories.base import Repository


class RollEventRepository(Repository):
    """Roll events, one per (root, rule, from contract, to contract)."""

    def save(self, events: Sequence[RollEvent], *, now: datetime | None = None) -> int:
        """Insert new rolls, update ones whose measurement changed; return how many rows were written."""
        stamp = now or datetime.now(UTC)
        written = 0
        with transaction(self.engine) as session:
            for ev in events:
                row = session.scalars(select(RollEventRow).where(
                    RollEventRow.root == ev.root, RollEventRow.rule == ev.rule,
                    RollEventRow.from_symbol == ev.from_symbol, RollEventRow.to_symbol == ev.to_symbol)).first()
                values = {"roll_day": ev.roll_day, "ts": ev.ts, "from_price": ev.from_price,
                          "to_price": ev.to_price, "difference": ev.difference, "ratio": ev.ratio}
                if row is None:
                    session.add(RollEventRow(root=ev.root, rule=ev.rule, from_symbol=ev.from_symbol,
                                             to_symbol=ev.to_symbol, created_at=stamp, **values))
                    written += 1
                elif any(getattr(row, k) != v for k, v in values.items()):
                    for k, v in values.items():
                        setattr(row, k, v)
                    written += 1
        return written

    def load(self, root: str, rule: str | None = None) -> list[RollEvent]:
        """Stored rolls of ``root`` (optionally of one rule) in time order."""
        with transaction(self.engine) as session:
            query = select(RollEventRow).where(RollEventRow.root == root)
            if rule is not None:
                query = query.where(RollEventRow.rule == rule)
            rows = session.scalars(query.order_by(RollEventRow.ts)).all()
            return [RollEvent(r.root, r.rule, r.from_symbol, r.to_symbol, r.roll_day, r.ts, r.from_price,
                              r.to_price) for r in rows]
