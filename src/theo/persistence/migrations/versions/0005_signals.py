"""Signals (SignalGeneration): users, strategies, signals.

Revision ID: 0005_signals
Revises: 0004_indicators
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from theo.persistence.types import UTCDateTime

revision = "0005_signals"
down_revision = "0004_indicators"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MONEY = sa.Numeric(precision=20, scale=8)

# Plain SQL so the same constraints hold on SQLite and PostgreSQL (plan §4 SignalGeneration).
CHECKS = (
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


def upgrade() -> None:
    users = op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )
    op.bulk_insert(users, [{"name": "default"}])
    op.create_table(
        "strategies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategies")),
        sa.UniqueConstraint("name", name=op.f("uq_strategies_name")),
    )
    op.create_table(
        "signals",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.Column("scanner", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("exchange", sa.String(length=8), nullable=False),
        sa.Column("order_type", sa.String(length=16), nullable=False),
        sa.Column("product_type", sa.String(length=8), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("is_exit", sa.Boolean(), nullable=False),
        sa.Column("contract_size", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("entry_price", MONEY, nullable=True),
        sa.Column("stop_loss", MONEY, nullable=True),
        sa.Column("take_profit", MONEY, nullable=True),
        sa.Column("option_right", sa.String(length=4), nullable=True),
        sa.Column("option_strike", MONEY, nullable=True),
        sa.Column("option_expiry", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("timeframe", sa.String(length=8), nullable=False),
        sa.Column("bar_ts", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        *(sa.CheckConstraint(sql, name=op.f(f"ck_signals_{name}")) for name, sql in CHECKS),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_signals_user_id_users")),
        sa.ForeignKeyConstraint(["strategy_id"], ["strategies.id"], name=op.f("fk_signals_strategy_id_strategies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signals")),
        sa.UniqueConstraint("user_id", "strategy_id", "symbol", "created_at",
                            name=op.f("uq_signals_user_id_strategy_id_symbol_created_at")),
        sa.UniqueConstraint("user_id", "strategy_id", "symbol", "side", "bar_ts",
                            name=op.f("uq_signals_user_id_strategy_id_symbol_side_bar_ts")),
    )
    op.create_index("ix_signals_user_id", "signals", ["user_id"])
    op.create_index("ix_signals_strategy_id", "signals", ["strategy_id"])
    op.create_index("ix_signals_active_expires", "signals", ["is_active", "expires_at"])


def downgrade() -> None:
    op.drop_index("ix_signals_active_expires", table_name="signals")
    op.drop_index("ix_signals_strategy_id", table_name="signals")
    op.drop_index("ix_signals_user_id", table_name="signals")
    op.drop_table("signals")
    op.drop_table("strategies")
    op.drop_table("users")
