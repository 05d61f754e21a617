"""Market-data tables (roll events, archive manifest).

Revision ID: 0002_marketdata
Revises: 0001_core
"""

from __future__ import annotations

revision = "0002_marketdata"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Tables of this revision are added by the component that owns them."""


def downgrade() -> None:
    """Nothing to undo yet."""
