"""Engine runs.

Revision ID: 0008_engine
Revises: 0007_trades
"""

from __future__ import annotations

revision = "0008_engine"
down_revision = "0007_trades"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Tables of this revision are added by the component that owns them."""


def downgrade() -> None:
    """Nothing to undo yet."""
