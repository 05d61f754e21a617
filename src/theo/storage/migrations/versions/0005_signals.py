"""Signals (SignalGeneration).

Revision ID: 0005_signals
Revises: 0004_indicators
"""

from __future__ import annotations

revision = "0005_signals"
down_revision = "0004_indicators"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Tables of this revision are added by the component that owns them."""


def downgrade() -> None:
    """Nothing to undo yet."""
