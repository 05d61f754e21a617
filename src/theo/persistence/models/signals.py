"""Users, strategies and generated signals (plan §4 SignalGeneration).

The rules of plan §4 are enforced twice: by ``theo.strategy.scanner.records`` with readable errors before a
row is written, and by the CHECK / UNIQUE constraints below, which are plain SQL so they hold on SQLite
and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from theo.persistence.models.base import Base
from theo.persistence.models.core import BigId
from theo.persistence.types import UTCDateTime

Money = Numeric(20, 8)

#: CHECK constraints of ``signals`` (name, SQL); the migration creates exactly these.
SIGNAL_CHECKS: tuple[tuple[str, str], ...] = (
    ("contract_size_positive", "contract_size > 0"),
    ("quantity_positive", "quantity > 0"),
    ("quantity_multiple", "quantity % contract_size = 0"),
    ("entry_price_positive", "entry_price IS NULL OR entry_price > 0"),
    ("stop_loss_positive", "stop_loss IS NULL OR stop_loss > 0"),
    ("take_profit_positive", "take_profit IS NULL OR take_profit > 0"),
    ("entry_required", "order_type NOT IN ('LIMIT', 'STOP_LIMIT') OR entry_price IS NOT NULL"),
    ("stop_side", "entry_price IS NULL OR stop_loss IS NULL OR (side = 'BUY' AND stop_loss < entry_price) "
                  "OR (side = 'SELL' AND stop_loss > entry_price)"),
    ("target_side", "entry_price IS NULL OR take_profit IS NULL OR (side = 'BUY' AND take_profit > entry_price) "
                    "OR (side = 'SELL' AND take_profit < entry_price)"),
    ("side_valid", "side IN ('BUY', 'SELL')"),
    ("order_type_valid", "order_type IN ('MARKET', 'LIMIT', 'STOP', 'STOP_LIMIT', 'TRAILING_STOP')"),
    ("product_type_valid", "product_type IN ('MARGIN', 'CASH')"),
    ("exchange_valid", "exchange IN ('SMART', 'NYSE', 'NASDAQ', 'ARCA', 'CBOE', 'CME', 'CFE')"),
    ("status_valid", "status IN ('PENDING', 'VALIDATED', 'EXECUTED', 'CANCELLED', 'FAILED')"),
    ("mode_valid", "mode IN ('live', 'virtual')"),
)


class UserRow(Base):
    """Owner of signals; a single-user install has the one ``default`` user."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)


class StrategyRow(Base):
    """A configured strategy as it was when it produced signals."""

    __tablename__ = "strategies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    config: Mapped[Any] = mapped_column(JSON, default=dict)


class SignalRow(Base):
    """One generated signal with the inputs that made it fire (plan §4 SignalGeneration)."""

    __tablename__ = "signals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.id"))
    strategy_id: Mapped[int] = mapped_column(Integer, ForeignKey("strategies.id"))
    scanner: Mapped[str] = mapped_column(String(64), default="")
    symbol: Mapped[str] = mapped_column(String(32))
    exchange: Mapped[str] = mapped_column(String(8))
    order_type: Mapped[str] = mapped_column(String(16))
    product_type: Mapped[str] = mapped_column(String(8))
    side: Mapped[str] = mapped_column(String(4))
    is_exit: Mapped[bool] = mapped_column(Boolean, default=False)
    contract_size: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    entry_price: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    stop_loss: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    take_profit: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    option_right: Mapped[str | None] = mapped_column(String(4), nullable=True)
    option_strike: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    option_expiry: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    timeframe: Mapped[str] = mapped_column(String(8))
    bar_ts: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    inputs: Mapped[Any] = mapped_column(JSON, default=dict)
    mode: Mapped[str] = mapped_column(String(8))

    __table_args__ = (
        *(CheckConstraint(sql, name=name) for name, sql in SIGNAL_CHECKS),
        UniqueConstraint("user_id", "strategy_id", "symbol", "created_at"),
        # Duplicate suppression (plan §3: same strategy, symbol, side and bar), held even across processes.
        UniqueConstraint("user_id", "strategy_id", "symbol", "side", "bar_ts"),
        Index("ix_signals_user_id", "user_id"),
        Index("ix_signals_strategy_id", "strategy_id"),
        Index("ix_signals_active_expires", "is_active", "expires_at"),
    )
