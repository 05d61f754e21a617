"""Core tables: instruments, ticks, bars, quarantine, settings and the audit log."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Float, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from theo.persistence.models.base import Base
from theo.persistence.types import UTCDateTime

#: BigInteger primary keys that still autoincrement on SQLite (which only does so for INTEGER).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class InstrumentRow(Base):
    __tablename__ = "instruments"

    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    exchange: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    tick_size: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    multiplier: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    contract_size: Mapped[int] = mapped_column(Integer, default=1)
    calendar: Mapped[str] = mapped_column(String(16))
    expiry: Mapped[date | None] = mapped_column(Date, nullable=True)
    underlying: Mapped[str | None] = mapped_column(String(32), nullable=True)
    strike: Mapped[Decimal | None] = mapped_column(Numeric(18, 8), nullable=True)
    option_right: Mapped[str | None] = mapped_column(String(4), nullable=True)
    description: Mapped[str] = mapped_column(String(200), default="")


class TickRow(Base):
    """A trade print. ``seq`` numbers prints sharing one (symbol, ts) in arrival order, which makes the
    primary key a natural key: re-importing the same file adds nothing."""

    __tablename__ = "ticks"

    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, default=0)
    price: Mapped[float] = mapped_column(Float)
    size: Mapped[float] = mapped_column(Float)
    exchange: Mapped[str] = mapped_column(String(8), default="")
    condition: Mapped[str] = mapped_column(String(16), default="")
    source: Mapped[str] = mapped_column(String(32), default="")
    received: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (Index("ix_ticks_ts", "ts"),)


class BarRow(Base):
    """An OHLCV bar labelled by its start; one table for every timeframe (``1m``, ``5m``, ``1d`` ...)."""

    __tablename__ = "bars"

    symbol: Mapped[str] = mapped_column(String(32), primary_key=True)
    timeframe: Mapped[str] = mapped_column(String(8), primary_key=True)
    start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    end: Mapped[datetime] = mapped_column(UTCDateTime())
    open: Mapped[float] = mapped_column(Float)
    high: Mapped[float] = mapped_column(Float)
    low: Mapped[float] = mapped_column(Float)
    close: Mapped[float] = mapped_column(Float)
    volume: Mapped[float] = mapped_column(Float)
    tick_count: Mapped[int] = mapped_column(Integer, default=0)
    session: Mapped[str] = mapped_column(String(8), default="REGULAR")
    source: Mapped[str] = mapped_column(String(32), default="")
    flags: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (Index("ix_bars_timeframe_start", "timeframe", "start"),)


class QuarantineRow(Base):
    """Rejected input with where it came from and why: nothing bad is silently dropped."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(16))  # tick | bar | quote | row
    source: Mapped[str] = mapped_column(String(500))  # file path or feed name
    symbol: Mapped[str | None] = mapped_column(String(32), nullable=True)
    line: Mapped[int | None] = mapped_column(Integer, nullable=True)
    column: Mapped[str | None] = mapped_column(String(64), nullable=True)
    value: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="")
    ts: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    raw: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_quarantine_reason", "reason"), Index("ix_quarantine_source", "source"))


class SettingRow(Base):
    """Universal settings as stored (plan §8); times are kept in UTC next to their ET wall-clock form."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditLogRow(Base):
    """Append-only record of who or what did what (17a-4 audit-trail option B)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ts: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))
    detail: Mapped[Any] = mapped_column(JSON, default=dict)
    origin: Mapped[str] = mapped_column(String(100), default="")  # where from: "web 10.0.0.5", "telegram 42", "cli"
    before: Mapped[Any] = mapped_column(JSON, nullable=True)  # the value the action changed, as it was
    after: Mapped[Any] = mapped_column(JSON, nullable=True)  # ... and as the action left it

    __table_args__ = (Index("ix_audit_log_ts", "ts"),)
