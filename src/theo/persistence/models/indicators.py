"""Indicator values per symbol, timeframe and bar."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from theo.persistence.models.base import Base
from theo.persistence.types import UTCDateTime


class IndicatorValueRow(Base):
    """One output of one indicator on one bar (``ts`` = the bar's start).

    ``name`` is the indicator (``atr_14``, ``swing_5_5``), ``output`` its column (``value``, ``upper``,
    ``high`` ...); ``value`` is NULL while the indicator is not ready. The output is part of the key, so
    a channel's upper, middle and lower lines live side by side.
    """

    __tablename__ = "indicator_values"

    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    timeframe: Mapped[str] = mapped_column(String(8), primary_key=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    name: Mapped[str] = mapped_column(String(48), primary_key=True)
    output: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)


class SwingPointRow(Base):
    """A confirmed swing high or low, recorded once: the journal that keeps swing events unique.

    ``point_ts`` is the start of the swing bar, ``confirmed_ts`` the start of the bar that confirmed it,
    ``kind`` is ``high`` or ``low``. A change event is published only by the writer that inserted the row,
    so a restart that replays bars already seen does not publish the same change again.
    """

    __tablename__ = "swing_points"

    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    timeframe: Mapped[str] = mapped_column(String(8), primary_key=True)
    indicator: Mapped[str] = mapped_column(String(48), primary_key=True)
    kind: Mapped[str] = mapped_column(String(4), primary_key=True)
    point_ts: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    confirmed_ts: Mapped[datetime] = mapped_column(UTCDateTime())
