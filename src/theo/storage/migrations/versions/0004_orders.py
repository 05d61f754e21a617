"""Order, event, fill and broker-id tables.

Revision ID: 0004_orders
Revises: 0003_signals
"""

from __future__ import annotations

revision = "0004_orders"
down_revision = "0003_signals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Tables of this revision are added by the component that owns them."""


def downgrade() -> None:
    """Nothing to undo yet."""
