"""Trade, risk and trading-state tables.

Revision ID: 0005_trades
Revises: 0004_orders
"""

from __future__ import annotations

revision = "0005_trades"
down_revision = "0004_orders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Tables of this revision are added by the component that owns them."""


def downgrade() -> None:
    """Nothing to undo yet."""
