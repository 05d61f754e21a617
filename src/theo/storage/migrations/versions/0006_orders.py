"""Orders, order events, fills, broker ids, positions, locks.

Revision ID: 0006_orders
Revises: 0005_signals
"""

from __future__ import annotations

revision = "0006_orders"
down_revision = "0005_signals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Tables of this revision are added by the component that owns them."""


def downgrade() -> None:
    """Nothing to undo yet."""
