"""Futures roll events and the cold-archive manifest.

Revision ID: 0003_futures
Revises: 0002_feeds
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from theo.persistence.types import UTCDateTime

revision = "0003_futures"
down_revision = "0002_feeds"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "roll_events",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("root", sa.String(length=16), nullable=False),
        sa.Column("rule", sa.String(length=16), nullable=False),
        sa.Column("from_symbol", sa.String(length=32), nullable=False),
        sa.Column("to_symbol", sa.String(length=32), nullable=False),
        sa.Column("roll_day", sa.Date(), nullable=False),
        sa.Column("ts", UTCDateTime(), nullable=False),
        sa.Column("from_price", sa.Float(), nullable=False),
        sa.Column("to_price", sa.Float(), nullable=False),
        sa.Column("difference", sa.Float(), nullable=False),
        sa.Column("ratio", sa.Float(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roll_events")),
        sa.UniqueConstraint("root", "rule", "from_symbol", "to_symbol",
                            name=op.f("uq_roll_events_root_rule_from_symbol_to_symbol")),
    )
    op.create_table(
        "archive_files",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("min_ts", UTCDateTime(), nullable=False),
        sa.Column("max_ts", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_files")),
        sa.UniqueConstraint("path", name=op.f("uq_archive_files_path")),
    )
    op.create_index("ix_archive_files_symbol_date", "archive_files", ["symbol", "date"], unique=False)
    op.create_index("ix_archive_files_state", "archive_files", ["state"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_archive_files_state", table_name="archive_files")
    op.drop_index("ix_archive_files_symbol_date", table_name="archive_files")
    op.drop_table("archive_files")
    op.drop_table("roll_events")
