"""Telegram notifications: the alerts each chat has received (deduplication across restarts).

Revision ID: 0015_alerts_sent
Revises: 0014_corporate_action_kinds
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from theo.persistence.types import UTCDateTime

revision = "0015_alerts_sent"
down_revision = "0014_corporate_action_kinds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts_sent",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key_hash", "chat_id", name=op.f("pk_alerts_sent")),
    )
    op.create_index("ix_alerts_sent_sent_at", "alerts_sent", ["sent_at"])


def downgrade() -> None:
    op.drop_index("ix_alerts_sent_sent_at", table_name="alerts_sent")
    op.drop_table("alerts_sent")
