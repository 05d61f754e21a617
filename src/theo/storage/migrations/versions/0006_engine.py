"""Engine run tables.

Revision ID: 0006_engine
Revises: 0005_trades
"""

from __future__ import annotations

revision = "0006_engine"
down_revision = "0005_trades"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Tables of this revision are added by the component that owns them."""


def downgrade() -> None:
    """Nothing to undo yet."""
