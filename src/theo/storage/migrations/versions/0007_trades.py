"""Trades, risk decisions, trading state.

Revision ID: 0007_trades
Revises: 0006_orders
"""

from __future__ import annotations

revision = "0007_trades"
down_revision = "0006_orders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Tables of this revision are added by the component that owns them."""


def downgrade() -> None:
    """Nothing to undo yet."""
