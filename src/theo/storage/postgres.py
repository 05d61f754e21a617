"""PostgreSQL-only parts of the schema: BRIN indexes, or TimescaleDB objects when the extension exists.

Kept SQL-only and small on purpose: TimescaleDB cannot be installed on our CI machines, so this path is
written against the TimescaleDB 2.x documentation (continuous aggregates with a bucket ``origin`` need
2.14 or later) and exercised on a real TimescaleDB separately. The SQL comes from pure functions so that
unit tests can check every statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

#: Continuous aggregates built from ``ticks``: view name -> bucket width in minutes.
AGGREGATES = {"ticks_5m": 5, "ticks_15m": 15, "ticks_30m": 30, "ticks_60m": 60}
#: Bucket origin 09:30 New York (14:30 UTC in winter). New York offsets are whole hours, so hourly buckets
#: start at :30 all year round and the first regular-session bar starts at 09:30 ET.
BUCKET_ORIGIN = "2000-01-03 14:30:00+00"


@dataclass(frozen=True)
class TimescaleOptions:
    """Policy intervals (from ``[database]`` in the config: ``timescale_*`` keys)."""

    compress_after_days: int = 7
    retention_days: int = 730
    chunk_interval_days: int = 1


def _has_timescale(bind: Any) -> bool:
    return bool(bind.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")).first())


def _options() -> TimescaleOptions:
    """The options handed to Alembic by :func:`theo.storage.db.upgrade`, or the defaults."""
    from alembic import context

    try:
        opts = context.config.attributes.get("timescale")
    except (AttributeError, NameError):
        opts = None
    return opts if isinstance(opts, TimescaleOptions) else TimescaleOptions()


def upgrade_core(op: Any) -> None:
    """Plain PostgreSQL: BRIN index on tick time. TimescaleDB: see :func:`timescale_statements`."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if _has_timescale(bind):
        for stmt in timescale_statements(_options()):
            op.execute(stmt)
    else:
        op.execute(BRIN_INDEX)


BRIN_INDEX = "CREATE INDEX IF NOT EXISTS ix_ticks_ts_brin ON ticks USING brin (ts)"


def downgrade_core(op: Any) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for name in AGGREGATES:
        op.execute(f"DROP MATERIALIZED VIEW IF EXISTS {name} CASCADE")
    op.execute("DROP INDEX IF EXISTS ix_ticks_ts_brin")


def aggregate_sql(name: str, minutes: int) -> str:
    """``CREATE MATERIALIZED VIEW`` of one OHLCV continuous aggregate over ``ticks``."""
    return (
        f"CREATE MATERIALIZED VIEW IF NOT EXISTS {name} WITH (timescaledb.continuous) AS "
        f"SELECT symbol, time_bucket(INTERVAL '{minutes} minutes', ts, origin => TIMESTAMPTZ '{BUCKET_ORIGIN}') "
        "AS bucket, first(price, ts) AS open, max(price) AS high, min(price) AS low, last(price, ts) AS close, "
        "sum(size) AS volume, count(*) AS tick_count FROM ticks GROUP BY symbol, bucket WITH NO DATA"
    )


def timescale_statements(opts: TimescaleOptions) -> list[str]:
    """Hypertable, continuous aggregates with refresh policies, compression and retention (2.x API)."""
    stmts = [
        "CREATE EXTENSION IF NOT EXISTS timescaledb",
        "SELECT create_hypertable('ticks', 'ts', "
        f"chunk_time_interval => INTERVAL '{opts.chunk_interval_days} days', migrate_data => true, "
        "if_not_exists => true)",
    ]
    for name, minutes in AGGREGATES.items():
        stmts.append(aggregate_sql(name, minutes))
        # Refresh the last few days up to one bucket ago; older buckets are final (ticks arrive in order).
        stmts.append(
            f"SELECT add_continuous_aggregate_policy('{name}', start_offset => INTERVAL '3 days', "
            f"end_offset => INTERVAL '{minutes} minutes', schedule_interval => INTERVAL '{minutes} minutes', "
            "if_not_exists => true)"
        )
    stmts += [
        "ALTER TABLE ticks SET (timescaledb.compress, timescaledb.compress_segmentby = 'symbol', "
        "timescaledb.compress_orderby = 'ts, seq')",
        f"SELECT add_compression_policy('ticks', INTERVAL '{opts.compress_after_days} days', "
        "if_not_exists => true)",
        f"SELECT add_retention_policy('ticks', INTERVAL '{opts.retention_days} days', if_not_exists => true)",
    ]
    return stmts
