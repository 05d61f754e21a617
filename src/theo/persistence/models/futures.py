"""Futures roll events and the cold-archive manifest."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from theo.persistence.models.base import Base
from theo.persistence.models.core import BigId
from theo.persistence.types import UTCDateTime


class RollEventRow(Base):
    """A roll of a continuous futures series from one contract to the next (one per root, rule and pair)."""

    __tablename__ = "roll_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    root: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String(16))  # calendar | volume
    from_symbol: Mapped[str] = mapped_column(String(32))
    to_symbol: Mapped[str] = mapped_column(String(32))
    roll_day: Mapped[dt.date] = mapped_column(Date)
    ts: Mapped[dt.datetime] = mapped_column(UTCDateTime())  # start of the roll bar
    from_price: Mapped[float] = mapped_column(Float)
    to_price: Mapped[float] = mapped_column(Float)
    difference: Mapped[float] = mapped_column(Float)
    ratio: Mapped[float] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("root", "rule", "from_symbol", "to_symbol"),)


class ArchiveFileRow(Base):
    """One write-once Parquet file of the cold archive and how far it got: written, verified, purged.

    ``sha256`` is the digest of the file's bytes, ``content_sha256`` the digest of its rows in canonical
    form (the same digest is computed from the database rows before they are deleted).
    """

    __tablename__ = "archive_files"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    path: Mapped[str] = mapped_column(String(500))  # relative to the archive directory
    kind: Mapped[str] = mapped_column(String(16))  # ticks
    symbol: Mapped[str] = mapped_column(String(32))
    day: Mapped[dt.date] = mapped_column("date", Date)  # America/New_York calendar date of the rows
    rows: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content_sha256: Mapped[str] = mapped_column(String(64))
    min_ts: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    max_ts: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(16))  # written | verified | purged
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("path"),
        Index("ix_archive_files_symbol_date", "symbol", "date"),
        Index("ix_archive_files_state", "state"),
    )
