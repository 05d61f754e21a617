"""TimescaleDB stores: rebuild the continuous aggregates so open and close follow ``(ts, seq)`` as Theo does.

The aggregates created by ``0001_core`` took open/close with ``first(price, ts)``/``last(price, ts)``: among prints
sharing the bucket's first or last timestamp they picked whichever row came first, not the lowest/highest
``seq`` (6 of 515 IBM 5-minute closes differed from the streaming bars). A continuous aggregate's query cannot
be altered, so each existing one is dropped and created again with ``theo.persistence.postgres.ORDER_KEY`` and
its refresh policy, then refreshed over all stored ticks. Plain PostgreSQL and SQLite stores have no aggregates:
nothing to do.

Downgrade keeps the rebuilt aggregates: going back to the old ordering would only bring the defect back, and the
schema of every table is the same on both sides.

Revision ID: 0013_cagg_tick_order
Revises: 0012_api_indexes
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

from theo.persistence import postgres
from theo.persistence.timescale import probe

revision = "0013_cagg_tick_order"
down_revision = "0012_api_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    found = probe(bind)
    if not found.aggregates:
        return
    opts = postgres._options()
    for name in found.aggregates:
        bind.execute(text(f"DROP MATERIALIZED VIEW IF EXISTS {name} CASCADE"))
    for stmt in postgres.aggregate_statements(opts):
        bind.execute(text(stmt))
    with op.get_context().autocommit_block():  # CALL refresh_continuous_aggregate cannot run in a transaction
        for stmt in postgres.refresh_statements():
            bind.execute(text(stmt))


def downgrade() -> None:
    """Nothing to undo (module docstring)."""

