"""Swing-point journals: remember which SH/SL changes were announced, so each is announced once.

A change is identified by (symbol, timeframe, indicator, kind, swing bar start). :class:`IndicatorSet`
asks its journal to *claim* a change before publishing it; only the first claim succeeds. The in-memory
journal covers a reset and replay inside one process; :class:`StoredSwingJournal` keeps the claims in
the ``swing_points`` table, so a restarted engine that warms up on bars it already processed, or a second
process on the same database, does not publish (and notify) the same change twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol

Kind = Literal["high", "low"]


class SwingPointStore(Protocol):
    """The ``swing_points`` table: a point is claimed by the insert that stores it first."""

    def claim(self, symbol: str, timeframe: str, indicator: str, kind: Kind, point_ts: datetime, value: float,
              confirmed_ts: datetime) -> bool:
        """Store the point unless it is stored already; True when this call stored it."""
        ...


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
    """Claims stored in ``swing_points``: the row insert is the claim, so a second process cannot claim it too."""

    def __init__(self, store: SwingPointStore) -> None:
        super().__init__()
        self.store = store

    def claim(self, symbol: str, timeframe: str, indicator: str, kind: Kind, point_ts: datetime,
              value: float, confirmed_ts: datetime) -> bool:
        if not super().claim(symbol, timeframe, indicator, kind, point_ts, value, confirmed_ts):
            return False
        return self.store.claim(symbol, timeframe, indicator, kind, point_ts, float(value), confirmed_ts)
