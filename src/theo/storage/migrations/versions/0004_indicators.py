"""Indicator values.

Revision ID: 0004_indicators
Revises: 0003_futures
"""

from __future__ import annotations

revision = "0004_indicators"
down_revision = "0003_futures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Tables of this revision are added by the component that owns them."""


def downgrade() -> None:
    """Nothing to undo yet."""
