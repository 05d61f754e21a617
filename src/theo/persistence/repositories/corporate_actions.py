"""The ``corporate_actions`` table: splits, dividends, symbol changes; saving the same action again changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from theo.model.enums import CorporateActionKind
from theo.model.reference import CorporateAction
from theo.persistence.db import transaction
from theo.persistence.models.corporate import CorporateActionRow
from theo.persistence.repositories.base import Repository


class CorporateActionRepository(Repository):
    """Corporate actions, one per (symbol, kind, ex-date, source); implements ``CorporateActionStore``."""

    def save_actions(self, actions: Sequence[CorporateAction], *, now: datetime | None = None) -> int:
        """Insert new actions, update ones whose figures changed; return how many rows were written."""
        stamp = now or datetime.now(UTC)
        written = 0
        with transaction(self.engine) as session:
            for a in actions:
                row = session.scalars(select(CorporateActionRow).where(
                    CorporateActionRow.symbol == a.symbol, CorporateActionRow.kind == a.kind.value,
                    CorporateActionRow.ex_date == a.ex_date, CorporateActionRow.source == a.source)).first()
                values: dict[str, object] = {"amount": a.amount, "ratio": a.ratio, "pay_date": a.pay_date,
                                             "new_symbol": a.new_symbol, "note": a.note[:200]}
                if row is None:
                    session.add(CorporateActionRow(symbol=a.symbol, kind=a.kind.value, ex_date=a.ex_date,
                                                   source=a.source, updated_at=stamp, **values))
                    written += 1
                elif any(getattr(row, k) != v for k, v in values.items()):
                    for k, v in values.items():
                        setattr(row, k, v)
                    row.updated_at = stamp
                    written += 1
        return written

    def actions(self, symbol: str, start: date | None = None, end: date | None = None) -> list[CorporateAction]:
        """The actions of ``symbol`` with an ex-date in ``[start, end]``, oldest first."""
        query = select(CorporateActionRow).where(CorporateActionRow.symbol == symbol)
        if start is not None:
            query = query.where(CorporateActionRow.ex_date >= start)
        if end is not None:
            query = query.where(CorporateActionRow.ex_date <= end)
        with transaction(self.engine) as session:
            rows = session.scalars(query.order_by(CorporateActionRow.ex_date, CorporateActionRow.kind)).all()
            return [_action(r) for r in rows]

    def changes_into(self, symbol: str) -> list[CorporateAction]:
        """The symbol changes whose new ticker is ``symbol`` (stored under the old ticker), oldest first."""
        query = select(CorporateActionRow).where(
            CorporateActionRow.kind == CorporateActionKind.SYMBOL_CHANGE.value, CorporateActionRow.new_symbol == symbol)
        with transaction(self.engine) as session:
            rows = session.scalars(query.order_by(CorporateActionRow.ex_date, CorporateActionRow.symbol)).all()
            return [_action(r) for r in rows]

    def symbols(self) -> dict[str, int]:
        """Every symbol with stored actions and how many it has."""
        query = select(CorporateActionRow.symbol, func.count()).group_by(CorporateActionRow.symbol)
        with transaction(self.engine) as session:
            return {s: int(n) for s, n in session.execute(query.order_by(CorporateActionRow.symbol))}


def _action(r: CorporateActionRow) -> CorporateAction:
    return CorporateAction(r.symbol, CorporateActionKind(r.kind), r.ex_date, r.amount, r.ratio, r.pay_date,
                           r.source, r.note, r.new_symbol)
