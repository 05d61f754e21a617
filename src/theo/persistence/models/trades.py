"""Trade, trade-event, risk-decision, trading-state and daily P&L tables.

``trades`` holds the current state of each trade (plan §6–§7); ``trade_events``, ``risk_decisions`` and
``trading_state`` are append-only history; ``pnl_daily`` is one row per account, day and strategy (``""`` =
the whole account).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from theo.persistence.models.base import Base
from theo.persistence.models.core import BigId
from theo.persistence.types import UTCDateTime

Money = Numeric(20, 8)


class TradeRow(Base):
    __tablename__ = "trades"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(32), default="")
    strategy: Mapped[str] = mapped_column(String(64))
    ss_type: Mapped[str] = mapped_column(String(32), default="")
    ss_signal_type: Mapped[str] = mapped_column(String(16), default="")
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(8))  # Running | Closed | Waiting
    planned_qty: Mapped[Decimal] = mapped_column(Money)
    entry_qty: Mapped[Decimal] = mapped_column(Money)
    exit_qty: Mapped[Decimal] = mapped_column(Money)
    entry_price: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    exit_price: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    stop: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    initial_stop: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    target: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    trailing_pct: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    risk: Mapped[Decimal] = mapped_column(Money)
    realised_pnl: Mapped[Decimal] = mapped_column(Money)
    charges: Mapped[Decimal] = mapped_column(Money)
    net_pnl: Mapped[Decimal] = mapped_column(Money)
    exit_reason: Mapped[str] = mapped_column(String(32), default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    multiplier: Mapped[Decimal] = mapped_column(Money)
    entry_order_id: Mapped[str] = mapped_column(String(64), unique=True)
    exit_order_ids: Mapped[str] = mapped_column(Text, default="")  # comma-separated client order ids
    signal_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    entry_ts: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    exit_ts: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_trades_status", "status"), Index("ix_trades_strategy_symbol", "strategy", "symbol"),
                      Index("ix_trades_entry_ts", "entry_ts"), Index("ix_trades_symbol_entry_ts", "symbol", "entry_ts"),
                      Index("ix_trades_signal_id", "signal_id"))


class TradeEventRow(Base):
    """Append-only history of a trade: opened, filled, stop moved, risk reduced, exit requested, closed."""

    __tablename__ = "trade_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    trade_id: Mapped[int] = mapped_column(BigId, ForeignKey("trades.id"))
    ts: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[Any] = mapped_column(JSON, default=dict)
    actor: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (Index("ix_trade_events_trade_id", "trade_id"),)


class RiskDecisionRow(Base):
    """Append-only: every pre-trade decision with the rule that decided it."""

    __tablename__ = "risk_decisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ts: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    account: Mapped[str] = mapped_column(String(32), default="")
    strategy: Mapped[str] = mapped_column(String(64), default="")
    symbol: Mapped[str] = mapped_column(String(32), default="")
    rule: Mapped[str] = mapped_column(String(40))
    allowed: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text, default="")
    request: Mapped[Any] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_risk_decisions_ts", "ts"),)


class TradingStateRow(Base):
    """Append-only history of the trading state; the newest row of an account is its current state."""

    __tablename__ = "trading_state"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ts: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    account: Mapped[str] = mapped_column(String(32), default="")
    state: Mapped[str] = mapped_column(String(10))
    previous: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(100))
    kill: Mapped[bool] = mapped_column(Boolean, default=False)
    flatten: Mapped[bool] = mapped_column(Boolean, default=False)
    handled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (Index("ix_trading_state_account", "account"),)


class PnlDailyRow(Base):
    __tablename__ = "pnl_daily"

    account: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    strategy: Mapped[str] = mapped_column(String(64), primary_key=True)
    realised: Mapped[Decimal] = mapped_column(Money)
    unrealised: Mapped[Decimal] = mapped_column(Money)
    charges: Mapped[Decimal] = mapped_column(Money)
    net: Mapped[Decimal] = mapped_column(Money)
    trades: Mapped[int] = mapped_column(Integer, default=0)
    equity: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
