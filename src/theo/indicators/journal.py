"""Swing-point journals: remember which SH/SL changes were announced, so each is announced once.

A change is identified by (symbol, timeframe, indicator, kind, swing bar start). :class:`IndicatorSet`
asks its journal to *claim* a change before publishing it; only the first claim succeeds. The in-memory
journal covers a reset and replay inside one process; :class:`StoredSwingJournal` keeps the claims in
the ``swing_points`` table, so a restarted engine that warms up on bars it already processed, or a second
process on the same database, does not publish (and notify) the same change twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from theo.core.errors import StorageError
from theo.persistence.db import transaction
from theo.persistence.models.indicators import SwingPointRow

Kind = Literal["high", "low"]


class SwingJournal:
    """Claims kept in memory for the life of the object (survives :meth:`IndicatorSet.reset`).

    Swing points of one series and kind are confirmed in time order, so remembering the latest claimed
    point per series is enough: memory stays constant however long the engine runs.
    """

    def __init__(self) -> None:
        self._latest: dict[tuple[str, str, str, str], datetime] = {}

    def claim(self, symbol: str, timeframe: str, indicator: str, kind: Kind, point_ts: datetime,
              value: float, confirmed_ts: datetime) -> bool:
        """Return True the first time this swing point is claimed, False on every later call."""
        series = (symbol, timeframe, indicator, kind)
        latest = self._latest.get(series)
        if latest is not None and point_ts <= latest:
            return False
        self._latest[series] = point_ts
        return True


class StoredSwingJournal(SwingJournal):
    """Claims stored in ``swing_points``: the row insert is the claim (INSERT ... ON CONFLICT DO NOTHING RETURNING)."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise StorageError(f"the swing journal needs SQLite or PostgreSQL, not {engine.dialect.name}")
        self.engine = engine

    def claim(self, symbol: str, timeframe: str, indicator: str, kind: Kind, point_ts: datetime,
              value: float, confirmed_ts: datetime) -> bool:
        if not super().claim(symbol, timeframe, indicator, kind, point_ts, value, confirmed_ts):
            return False
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(SwingPointRow).values(
            symbol=symbol, timeframe=timeframe, indicator=indicator, kind=kind, point_ts=point_ts,
            value=float(value), confirmed_ts=confirmed_ts).on_conflict_do_nothing()
        # RETURNING, not rowcount: the driver may report -1 for a skipped conflict.
        with transaction(self.engine) as session:
            inserted = session.execute(stmt.returning(SwingPointRow.kind)).first()
        return inserted is not None


def load_points(engine: Engine, symbol: str, timeframe: str,
                indicator: str | None = None) -> list[tuple[str, Kind, datetime, float, datetime]]:
    """Journalled swing points as ``(indicator, kind, point_ts, value, confirmed_ts)``, by confirmation."""
    q = select(SwingPointRow).where(SwingPointRow.symbol == symbol, SwingPointRow.timeframe == timeframe)
    if indicator is not None:
        q = q.where(SwingPointRow.indicator == indicator)
    q = q.order_by(SwingPointRow.confirmed_ts, SwingPointRow.indicator, SwingPointRow.kind)
    with transaction(engine) as session:
        rows = list(session.scalars(q))
        return [(r.indicator, "high" if r.kind == "high" else "low", r.point_ts, r.value, r.confirmed_ts)
                for r in rows]
