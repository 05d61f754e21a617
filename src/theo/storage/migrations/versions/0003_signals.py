"""Signal and indicator tables.

Revision ID: 0003_signals
Revises: 0002_marketdata
"""

from __future__ import annotations

revision = "0003_signals"
down_revision = "0002_marketdata"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Tables of this revision are added by the component that owns them."""


def downgrade() -> None:
    """Nothing to undo yet."""
