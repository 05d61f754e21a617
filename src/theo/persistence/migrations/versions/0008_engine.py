"""Engine runs.

Revision ID: 0008_engine
Revises: 0007_trades
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from theo.persistence.types import UTCDateTime

revision = "0008_engine"
down_revision = "0007_trades"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "engine_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("feed", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started", UTCDateTime(), nullable=False),
        sa.Column("stopped", UTCDateTime(), nullable=True),
        sa.Column("heartbeat", UTCDateTime(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("config_digest", sa.String(length=64), nullable=False),
        sa.Column("counters", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engine_runs")),
    )
    op.create_index("ix_engine_runs_started", "engine_runs", ["started"], unique=False)
    op.create_table(
        "engine_journal",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("ts", UTCDateTime(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engine_journal")),
        sa.UniqueConstraint("kind", "key", name=op.f("uq_engine_journal_kind_key")),
    )
    op.create_index("ix_engine_journal_ts", "engine_journal", ["ts"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_engine_journal_ts", table_name="engine_journal")
    op.drop_table("engine_journal")
    op.drop_index("ix_engine_runs_started", table_name="engine_runs")
    op.drop_table("engine_runs")
