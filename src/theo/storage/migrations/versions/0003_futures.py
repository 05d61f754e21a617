"""Futures roll events and the cold-archive manifest.

Revision ID: 0003_futures
Revises: 0002_feeds
"""

from __future__ import annotations

revision = "0003_futures"
down_revision = "0002_feeds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Tables of this revision are added by the component that owns them."""


def downgrade() -> None:
    """Nothing to undo yet."""
