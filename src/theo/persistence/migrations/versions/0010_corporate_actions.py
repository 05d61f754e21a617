"""Corporate actions: dividends and splits per symbol.

Revision ID: 0010_corporate_actions
Revises: 0009_trailing
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from theo.persistence.types import UTCDateTime

revision = "0010_corporate_actions"
down_revision = "0009_trailing"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
AMOUNT = sa.Numeric(20, 8)  # as theo.persistence.models.corporate.Amount


def upgrade() -> None:
    op.create_table(
        "corporate_actions",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ex_date", sa.Date(), nullable=False),
        sa.Column("amount", AMOUNT, nullable=True),
        sa.Column("ratio", AMOUNT, nullable=True),
        sa.Column("pay_date", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corporate_actions")),
        sa.UniqueConstraint("symbol", "kind", "ex_date", "source",
                            name=op.f("uq_corporate_actions_symbol_kind_ex_date_source")),
    )
    op.create_index("ix_corporate_actions_symbol_ex_date", "corporate_actions", ["symbol", "ex_date"])


def downgrade() -> None:
    op.drop_index("ix_corporate_actions_symbol_ex_date", table_name="corporate_actions")
    op.drop_table("corporate_actions")
