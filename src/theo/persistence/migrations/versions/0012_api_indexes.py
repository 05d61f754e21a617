"""Dashboard reads: indexes for the trades and deals pages (by symbol and entry time), the signal → trade
link and the orders page (by creation time).

Revision ID: 0012_api_indexes
Revises: 0011_web
"""

from __future__ import annotations

from alembic import op

revision = "0012_api_indexes"
down_revision = "0011_web"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_trades_symbol_entry_ts", "trades", ["symbol", "entry_ts"])
    op.create_index("ix_trades_signal_id", "trades", ["signal_id"])
    op.create_index("ix_orders_created_at", "orders", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_orders_created_at", table_name="orders")
    op.drop_index("ix_trades_signal_id", table_name="trades")
    op.drop_index("ix_trades_symbol_entry_ts", table_name="trades")
