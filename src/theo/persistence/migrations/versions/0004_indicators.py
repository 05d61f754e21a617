"""Indicator values and the swing-point journal.

Revision ID: 0004_indicators
Revises: 0003_futures
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from theo.persistence.types import UTCDateTime

revision = "0004_indicators"
down_revision = "0003_futures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "indicator_values",
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("timeframe", sa.String(length=8), nullable=False),
        sa.Column("ts", UTCDateTime(), nullable=False),
        sa.Column("name", sa.String(length=48), nullable=False),
        sa.Column("output", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("symbol", "timeframe", "ts", "name", "output", name=op.f("pk_indicator_values")),
    )
    op.create_table(
        "swing_points",
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("timeframe", sa.String(length=8), nullable=False),
        sa.Column("indicator", sa.String(length=48), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("point_ts", UTCDateTime(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("confirmed_ts", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("symbol", "timeframe", "indicator", "kind", "point_ts",
                                name=op.f("pk_swing_points")),
    )


def downgrade() -> None:
    op.drop_table("swing_points")
    op.drop_table("indicator_values")
