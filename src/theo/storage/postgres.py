"""PostgreSQL-only parts of the schema: BRIN indexes, or TimescaleDB objects when the extension exists.

Kept SQL-only and small on purpose: TimescaleDB cannot be installed on our CI machines, so this path is
written against the TimescaleDB 2.x documentation and exercised on a real TimescaleDB separately.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text


def _has_timescale(bind: Any) -> bool:
    return bool(bind.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")).first())


def upgrade_core(op: Any) -> None:
    """Plain PostgreSQL: BRIN index on tick time. TimescaleDB: see :func:`timescale_core`."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if _has_timescale(bind):
        timescale_core(op)
    else:
        op.execute("CREATE INDEX IF NOT EXISTS ix_ticks_ts_brin ON ticks USING brin (ts)")


def downgrade_core(op: Any) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_ticks_ts_brin")


def timescale_core(op: Any) -> None:
    """Hypertable, continuous aggregates, compression and retention (TimescaleDB 2.x)."""
    op.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
    op.execute("SELECT create_hypertable('ticks', 'ts', migrate_data => true, if_not_exists => true)")
