"""Orders: the price at which a trailing stop starts trailing (IBKR's adjusted stop).

Revision ID: 0009_trailing
Revises: 0008_engine
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

MONEY = sa.Numeric(20, 8)  # as theo.persistence.models.orders.Money

revision = "0009_trailing"
down_revision = "0008_engine"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("trail_trigger", MONEY, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("trail_trigger")
