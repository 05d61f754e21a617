"""Trades, risk decisions, trading state.

Revision ID: 0007_trades
Revises: 0006_orders
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from theo.persistence.types import UTCDateTime

revision = "0007_trades"
down_revision = "0006_orders"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MONEY = sa.Numeric(precision=20, scale=8)


def upgrade() -> None:
    op.create_table(
        "trades",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("account", sa.String(length=32), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.Column("ss_type", sa.String(length=32), nullable=False),
        sa.Column("ss_signal_type", sa.String(length=16), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("planned_qty", MONEY, nullable=False),
        sa.Column("entry_qty", MONEY, nullable=False),
        sa.Column("exit_qty", MONEY, nullable=False),
        sa.Column("entry_price", MONEY, nullable=True),
        sa.Column("exit_price", MONEY, nullable=True),
        sa.Column("stop", MONEY, nullable=True),
        sa.Column("initial_stop", MONEY, nullable=True),
        sa.Column("target", MONEY, nullable=True),
        sa.Column("trailing_pct", MONEY, nullable=True),
        sa.Column("risk", MONEY, nullable=False),
        sa.Column("realised_pnl", MONEY, nullable=False),
        sa.Column("charges", MONEY, nullable=False),
        sa.Column("net_pnl", MONEY, nullable=False),
        sa.Column("exit_reason", sa.String(length=32), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("multiplier", MONEY, nullable=False),
        sa.Column("entry_order_id", sa.String(length=64), nullable=False),
        sa.Column("exit_order_ids", sa.Text(), nullable=False),
        sa.Column("signal_id", sa.BigInteger(), nullable=True),
        sa.Column("entry_ts", UTCDateTime(), nullable=True),
        sa.Column("exit_ts", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trades")),
        sa.UniqueConstraint("entry_order_id", name=op.f("uq_trades_entry_order_id")),
    )
    op.create_index("ix_trades_status", "trades", ["status"])
    op.create_index("ix_trades_strategy_symbol", "trades", ["strategy", "symbol"])
    op.create_index("ix_trades_entry_ts", "trades", ["entry_ts"])

    op.create_table(
        "trade_events",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("trade_id", BIG_ID, nullable=False),
        sa.Column("ts", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["trade_id"], ["trades.id"], name=op.f("fk_trade_events_trade_id_trades")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trade_events")),
    )
    op.create_index("ix_trade_events_trade_id", "trade_events", ["trade_id"])

    op.create_table(
        "risk_decisions",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("ts", UTCDateTime(), nullable=False),
        sa.Column("account", sa.String(length=32), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_decisions")),
    )
    op.create_index("ix_risk_decisions_ts", "risk_decisions", ["ts"])

    op.create_table(
        "trading_state",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("ts", UTCDateTime(), nullable=False),
        sa.Column("account", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("previous", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("kill", sa.Boolean(), nullable=False),
        sa.Column("flatten", sa.Boolean(), nullable=False),
        sa.Column("handled_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trading_state")),
    )
    op.create_index("ix_trading_state_account", "trading_state", ["account"])

    op.create_table(
        "pnl_daily",
        sa.Column("account", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.Column("realised", MONEY, nullable=False),
        sa.Column("unrealised", MONEY, nullable=False),
        sa.Column("charges", MONEY, nullable=False),
        sa.Column("net", MONEY, nullable=False),
        sa.Column("trades", sa.Integer(), nullable=False),
        sa.Column("equity", MONEY, nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("account", "day", "strategy", name=op.f("pk_pnl_daily")),
    )


def downgrade() -> None:
    op.drop_table("pnl_daily")
    op.drop_index("ix_trading_state_account", table_name="trading_state")
    op.drop_table("trading_state")
    op.drop_index("ix_risk_decisions_ts", table_name="risk_decisions")
    op.drop_table("risk_decisions")
    op.drop_index("ix_trade_events_trade_id", table_name="trade_events")
    op.drop_table("trade_events")
    op.drop_index("ix_trades_entry_ts", table_name="trades")
    op.drop_index("ix_trades_strategy_symbol", table_name="trades")
    op.drop_index("ix_trades_status", table_name="trades")
    op.drop_table("trades")
