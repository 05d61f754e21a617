"""Feed tables (feed events).

Revision ID: 0002_feeds
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from theo.persistence.types import UTCDateTime

revision = "0002_feeds"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("ts", UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("since", UTCDateTime(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_events")),
    )
    op.create_index("ix_feed_events_symbol_ts", "feed_events", ["symbol", "ts"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_feed_events_symbol_ts", table_name="feed_events")
    op.drop_table("feed_events")
