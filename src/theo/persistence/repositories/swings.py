"""The ``swing_points`` table: a confirmed swing point is claimed by the insert that stores it first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from theo.core.errors import StorageError
from theo.indicators.journal import Kind
from theo.persistence.models.indicators import SwingPointRow
from theo.persistence.repositories.base import Repository


class SwingPointRepository(Repository):
    """Announced swing highs and lows, keyed by (symbol, timeframe, indicator, kind, point_ts)."""

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise StorageError(f"the swing journal needs SQLite or PostgreSQL, not {engine.dialect.name}")
        super().__init__(engine)

    def claim(self, symbol: str, timeframe: str, indicator: str, kind: Kind, point_ts: datetime, value: float,
              confirmed_ts: datetime) -> bool:
        """INSERT ... ON CONFLICT DO NOTHING RETURNING: True when this call stored the point."""
        dialect = postgresql if self.dialect == "postgresql" else sqlite
        stmt = dialect.insert(SwingPointRow).values(
            symbol=symbol, timeframe=timeframe, indicator=indicator, kind=kind, point_ts=point_ts,
            value=float(value), confirmed_ts=confirmed_ts).on_conflict_do_nothing()
        # RETURNING, not rowcount: the driver may report -1 for a skipped conflict.
        with self.engine.begin() as conn:
            return conn.execute(stmt.returning(SwingPointRow.kind)).first() is not None

    def points(self, symbol: str, timeframe: str,
               indicator: str | None = None) -> list[tuple[str, Kind, datetime, float, datetime]]:
        """Claimed points as ``(indicator, kind, point_ts, value, confirmed_ts)``, by confirmation."""
        t = SwingPointRow
        q = select(t.indicator, t.kind, t.point_ts, t.value, t.confirmed_ts).where(t.symbol == symbol,
                                                                                   t.timeframe == timeframe)
        if indicator is not None:
            q = q.where(t.indicator == indicator)
        q = q.order_by(t.confirmed_ts, t.indicator, t.kind)
        with self.engine.connect() as conn:
            return [(ind, "high" if kind == "high" else "low", ts, value, confirmed)
                    for ind, kind, ts, value, confirmed in conn.execute(q)]
