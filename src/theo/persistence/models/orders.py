"""Order, order-event, fill and broker-id tables, and the single-writer lock (positions derive from fills).

``orders`` holds the current state of each order with the 17a-3(a)(6) fields of market-rules.md §3.4 item 2;
``order_events`` and ``fills`` are append-only history.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from theo.persistence.models.base import Base
from theo.persistence.models.core import BigId
from theo.persistence.types import UTCDateTime

Money = Numeric(20, 8)


class OrderRow(Base):
    __tablename__ = "orders"

    client_order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(4))
    quantity: Mapped[Decimal] = mapped_column(Money)
    order_type: Mapped[str] = mapped_column(String(16))
    limit_price: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    stop_price: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    trail_amount: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    trail_percent: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    trail_trigger: Mapped[Decimal | None] = mapped_column(Money, nullable=True)  # trailing starts at this price
    tif: Mapped[str] = mapped_column(String(4))
    routing: Mapped[str] = mapped_column(String(8))
    allocation: Mapped[str] = mapped_column(String(8))
    product_type: Mapped[str] = mapped_column(String(8))
    outside_rth: Mapped[bool] = mapped_column(Boolean, default=False)
    reduce_only: Mapped[bool] = mapped_column(Boolean, default=False)
    tag: Mapped[str] = mapped_column(String(32), default="")
    account: Mapped[str] = mapped_column(String(32), default="")
    broker: Mapped[str] = mapped_column(String(32), default="")
    strategy: Mapped[str] = mapped_column(String(64), default="")
    signal_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    parent_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    oco_group: Mapped[str | None] = mapped_column(String(64), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    filled_qty: Mapped[Decimal] = mapped_column(Money)
    avg_fill_price: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(64), default="")
    revision: Mapped[int] = mapped_column(Integer, default=0)  # broker modifications applied
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_orders_status", "status"), Index("ix_orders_symbol", "symbol"),
                      Index("ix_orders_strategy_signal_id", "strategy", "signal_id"),
                      Index("ix_orders_created_at", "created_at"))


class OrderEventRow(Base):
    """Append-only history of every order: intents, sends, broker callbacks, user actions."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    client_order_id: Mapped[str] = mapped_column(String(64), ForeignKey("orders.client_order_id"))
    ts: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    status_from: Mapped[str | None] = mapped_column(String(20), nullable=True)
    status_to: Mapped[str | None] = mapped_column(String(20), nullable=True)
    payload: Mapped[Any] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(8))  # broker | engine | user
    actor: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (Index("ix_order_events_client_order_id", "client_order_id"),)


class FillRow(Base):
    """One execution with its charges (market-rules.md §7.5); ``exec_id`` de-duplicates."""

    __tablename__ = "fills"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    exec_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_order_id: Mapped[str] = mapped_column(String(64), ForeignKey("orders.client_order_id"))
    broker: Mapped[str] = mapped_column(String(32), default="")
    symbol: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(4))
    quantity: Mapped[Decimal] = mapped_column(Money)
    price: Mapped[Decimal] = mapped_column(Money)
    ts: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    commission: Mapped[Decimal] = mapped_column(Money)
    exchange_fee: Mapped[Decimal] = mapped_column(Money)
    clearing_fee: Mapped[Decimal] = mapped_column(Money)
    sec_fee: Mapped[Decimal] = mapped_column(Money)
    finra_taf: Mapped[Decimal] = mapped_column(Money)
    cat_fee: Mapped[Decimal] = mapped_column(Money)
    orf: Mapped[Decimal] = mapped_column(Money)
    occ_fee: Mapped[Decimal] = mapped_column(Money)
    nfa_fee: Mapped[Decimal] = mapped_column(Money)
    other_fee: Mapped[Decimal] = mapped_column(Money)
    total_charges: Mapped[Decimal] = mapped_column(Money)
    charges_source: Mapped[str] = mapped_column(String(8))
    fee_schedule_version: Mapped[str] = mapped_column(String(64))

    __table_args__ = (Index("ix_fills_client_order_id", "client_order_id"), Index("ix_fills_symbol", "symbol"))


class BrokerOrderIdRow(Base):
    """Maps our client order id to each broker's ids (IBKR orderId and permId, or another broker's)."""

    __tablename__ = "broker_order_ids"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    client_order_id: Mapped[str] = mapped_column(String(64), ForeignKey("orders.client_order_id"))
    broker: Mapped[str] = mapped_column(String(32))
    broker_order_id: Mapped[str] = mapped_column(String(64))
    perm_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("broker", "broker_order_id"),
                      Index("ix_broker_order_ids_client_order_id", "client_order_id"))


class EngineLockRow(Base):
    """The single-writer lock: one live trading instance per store."""

    __tablename__ = "engine_locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(128))
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(255))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    heartbeat: Mapped[datetime] = mapped_column(UTCDateTime())
