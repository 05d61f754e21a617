"""Corporate actions of every kind: a ``new_symbol`` column for symbol changes; cash dividends are named
``cash_dividend`` (beside ``stock_dividend``), so rows written as ``dividend`` are renamed.

Revision ID: 0014_corporate_action_kinds
Revises: 0013_cagg_tick_order
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_corporate_action_kinds"
down_revision = "0013_cagg_tick_order"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("corporate_actions") as batch:
        batch.add_column(sa.Column("new_symbol", sa.String(length=32), nullable=True))
    op.execute("UPDATE corporate_actions SET kind = 'cash_dividend' WHERE kind = 'dividend'")


def downgrade() -> None:
    # The old schema knew only dividends and splits: the other kinds cannot be kept.
    op.execute("DELETE FROM corporate_actions WHERE kind IN ('stock_dividend', 'symbol_change')")
    op.execute("UPDATE corporate_actions SET kind = 'split' WHERE kind = 'reverse_split'")
    op.execute("UPDATE corporate_actions SET kind = 'dividend' WHERE kind = 'cash_dividend'")
    with op.batch_alter_table("corporate_actions") as batch:
        batch.drop_column("new_symbol")
