"""Feed tables (feed events).

Revision ID: 0002_feeds
Revises: 0001_core
"""

from __future__ import annotations

revision = "0002_feeds"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Tables of this revision are added by the component that owns them."""


def downgrade() -> None:
    """Nothing to undo yet."""
