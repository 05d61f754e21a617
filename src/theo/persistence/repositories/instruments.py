"""The ``instruments`` table: reference data of the symbols the store knows."""

from __future__ import annotations

from sqlalchemy import select

from theo.persistence.models.core import InstrumentRow
from theo.persistence.repositories.base import Repository


class InstrumentRepository(Repository):
    """Instrument reference data."""

    def calendar(self, symbol: str) -> str | None:
        """The trading calendar stored for ``symbol``; None when the symbol is not stored."""
        with self.engine.connect() as conn:
            row = conn.execute(select(InstrumentRow.calendar).where(InstrumentRow.symbol == symbol)).first()
        return row[0] if row else None
