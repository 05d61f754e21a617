"""Orders, order events, fills, broker ids, positions, locks.

Revision ID: 0006_orders
Revises: 0005_signals
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from theo.persistence.types import UTCDateTime

revision = "0006_orders"
down_revision = "0005_signals"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MONEY = sa.Numeric(precision=20, scale=8)


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("quantity", MONEY, nullable=False),
        sa.Column("order_type", sa.String(length=16), nullable=False),
        sa.Column("limit_price", MONEY, nullable=True),
        sa.Column("stop_price", MONEY, nullable=True),
        sa.Column("trail_amount", MONEY, nullable=True),
        sa.Column("trail_percent", MONEY, nullable=True),
        sa.Column("tif", sa.String(length=4), nullable=False),
        sa.Column("routing", sa.String(length=8), nullable=False),
        sa.Column("allocation", sa.String(length=8), nullable=False),
        sa.Column("product_type", sa.String(length=8), nullable=False),
        sa.Column("outside_rth", sa.Boolean(), nullable=False),
        sa.Column("reduce_only", sa.Boolean(), nullable=False),
        sa.Column("tag", sa.String(length=32), nullable=False),
        sa.Column("account", sa.String(length=32), nullable=False),
        sa.Column("broker", sa.String(length=32), nullable=False),
        sa.Column("strategy", sa.String(length=64), nullable=False),
        sa.Column("signal_id", sa.BigInteger(), nullable=True),
        sa.Column("parent_id", sa.String(length=64), nullable=True),
        sa.Column("oco_group", sa.String(length=64), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("entered_at", UTCDateTime(), nullable=True),
        sa.Column("cancelled_at", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("filled_qty", MONEY, nullable=False),
        sa.Column("avg_fill_price", MONEY, nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("client_order_id", name=op.f("pk_orders")),
    )
    op.create_index("ix_orders_status", "orders", ["status"])
    op.create_index("ix_orders_symbol", "orders", ["symbol"])
    op.create_index("ix_orders_strategy_signal_id", "orders", ["strategy", "signal_id"])

    op.create_table(
        "order_events",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("ts", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status_from", sa.String(length=20), nullable=True),
        sa.Column("status_to", sa.String(length=20), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["client_order_id"], ["orders.client_order_id"],
                                name=op.f("fk_order_events_client_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_events")),
    )
    op.create_index("ix_order_events_client_order_id", "order_events", ["client_order_id"])

    money_cols = ["commission", "exchange_fee", "clearing_fee", "sec_fee", "finra_taf", "cat_fee", "orf",
                  "occ_fee", "nfa_fee", "other_fee", "total_charges"]
    op.create_table(
        "fills",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("exec_id", sa.String(length=64), nullable=False),
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("broker", sa.String(length=32), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("quantity", MONEY, nullable=False),
        sa.Column("price", MONEY, nullable=False),
        sa.Column("ts", UTCDateTime(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        *[sa.Column(name, MONEY, nullable=False) for name in money_cols],
        sa.Column("charges_source", sa.String(length=8), nullable=False),
        sa.Column("fee_schedule_version", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["client_order_id"], ["orders.client_order_id"],
                                name=op.f("fk_fills_client_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fills")),
        sa.UniqueConstraint("exec_id", name=op.f("uq_fills_exec_id")),
    )
    op.create_index("ix_fills_client_order_id", "fills", ["client_order_id"])
    op.create_index("ix_fills_symbol", "fills", ["symbol"])

    op.create_table(
        "broker_order_ids",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("broker", sa.String(length=32), nullable=False),
        sa.Column("broker_order_id", sa.String(length=64), nullable=False),
        sa.Column("perm_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["client_order_id"], ["orders.client_order_id"],
                                name=op.f("fk_broker_order_ids_client_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broker_order_ids")),
        sa.UniqueConstraint("broker", "broker_order_id", name=op.f("uq_broker_order_ids_broker_broker_order_id")),
    )
    op.create_index("ix_broker_order_ids_client_order_id", "broker_order_ids", ["client_order_id"])

    op.create_table(
        "engine_locks",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("acquired_at", UTCDateTime(), nullable=False),
        sa.Column("heartbeat", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_engine_locks")),
    )


def downgrade() -> None:
    op.drop_table("engine_locks")
    op.drop_index("ix_broker_order_ids_client_order_id", table_name="broker_order_ids")
    op.drop_table("broker_order_ids")
    op.drop_index("ix_fills_symbol", table_name="fills")
    op.drop_index("ix_fills_client_order_id", table_name="fills")
    op.drop_table("fills")
    op.drop_index("ix_order_events_client_order_id", table_name="order_events")
    op.drop_table("order_events")
    op.drop_index("ix_orders_strategy_signal_id", table_name="orders")
    op.drop_index("ix_orders_symbol", table_name="orders")
    op.drop_index("ix_orders_status", table_name="orders")
    op.drop_table("orders")
