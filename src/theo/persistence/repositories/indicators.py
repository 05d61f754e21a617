"""The ``indicator_values`` table: upserts in batches, reads by series."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from theo.core.errors import StorageError
from theo.indicators.store import IndicatorValue
from theo.persistence.models.indicators import IndicatorValueRow
from theo.persistence.repositories.base import Repository

_KEY = ["symbol", "timeframe", "ts", "name", "output"]


class IndicatorValueRepository(Repository):
    """Indicator outputs per bar, keyed by (symbol, timeframe, ts, name, output)."""

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise StorageError(f"indicator values need SQLite or PostgreSQL, not {engine.dialect.name}")
        super().__init__(engine)

    def upsert(self, values: Sequence[IndicatorValue]) -> None:
        """Store ``values`` in one transaction; a value already stored under the same key is replaced."""
        if not values:
            return
        dialect = postgresql if self.dialect == "postgresql" else sqlite
        stmt = dialect.insert(IndicatorValueRow)
        stmt = stmt.on_conflict_do_update(index_elements=_KEY, set_={"value": stmt.excluded.value})
        fields = IndicatorValue._fields
        with self.engine.begin() as conn:
            conn.execute(stmt, [dict(zip(fields, v, strict=True)) for v in values])

    def values(self, symbol: str, timeframe: str, name: str | None = None,
               since: datetime | None = None) -> list[IndicatorValue]:
        """Stored values of one series (optionally one indicator, from ``since``) by name, output and bar start."""
        t = IndicatorValueRow
        q = select(t.symbol, t.timeframe, t.ts, t.name, t.output, t.value).where(t.symbol == symbol,
                                                                                 t.timeframe == timeframe)
        if name is not None:
            q = q.where(t.name == name)
        if since is not None:
            q = q.where(t.ts >= since)
        with self.engine.connect() as conn:
            return [IndicatorValue._make(r) for r in conn.execute(q.order_by(t.name, t.output, t.ts))]
