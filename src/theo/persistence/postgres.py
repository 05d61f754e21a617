"""PostgreSQL-only parts of the schema: BRIN indexes, or TimescaleDB objects when the extension exists.

Kept SQL-only and small on purpose: TimescaleDB cannot be installed on our CI machines, so this path is
written against the TimescaleDB 2.x documentation (continuous aggregates with a bucket ``origin`` need
2.14 or later; ``FILTER`` in their aggregates needs 2.7) and exercised on a real TimescaleDB separately.
The SQL comes from pure functions so that unit tests can check every statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

#: Continuous aggregates built from ``ticks``: view name -> bucket width in minutes.
AGGREGATES = {"ticks_5m": 5, "ticks_15m": 15, "ticks_30m": 30, "ticks_60m": 60}
#: Bucket origin 09:30 New York (14:30 UTC in winter). New York offsets from UTC are whole hours in both
#: EST and EDT, so every bucket of 5/15/30/60 minutes on this UTC grid also starts at :00/:30 New York time
#: and the regular session (09:30 ET, summer and winter) always opens a bucket: no ``timezone`` argument is
#: needed for widths up to an hour. Pre-market 60-minute buckets therefore start at 03:30/04:30 ET, where the
#: streaming bars (aligned to each session segment, market-rules.md §4) start at 04:00: see docs/storage.md.
BUCKET_ORIGIN = "2000-01-03 14:30:00+00"
#: Sale conditions that set OHLC, as ``[marketdata.conditions] ohlc_conditions`` defaults.
DEFAULT_OHLC_CONDITIONS = ("", "1", "20000001")


@dataclass(frozen=True)
class TimescaleOptions:
    """Policy intervals and the OHLC condition filter (from the config, see :func:`theo.persistence.db.upgrade`).

    ``retention_days`` is opt-in (``None``: no retention policy) because TimescaleDB counts it from *now*:
    a default would silently drop every imported historical tick at the next policy run.
    """

    compress_after_days: int = 7
    retention_days: int | None = None
    chunk_interval_days: int = 1
    ohlc_conditions: tuple[str, ...] = DEFAULT_OHLC_CONDITIONS


def _has_timescale(bind: Any) -> bool:
    return bool(bind.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")).first())


def _options() -> TimescaleOptions:
    """The options handed to Alembic by :func:`theo.persistence.db.upgrade`, or the defaults."""
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


def _sql_list(values: Sequence[str]) -> str:
    if not values:
        raise ValueError("ohlc_conditions is empty: at least one sale condition must set OHLC")
    return ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(values))


def aggregate_sql(name: str, minutes: int, ohlc_conditions: Sequence[str] = DEFAULT_OHLC_CONDITIONS) -> str:
    """``CREATE MATERIALIZED VIEW`` of one OHLCV continuous aggregate over ``ticks``.

    As the streaming bars do: OHLC from the prints whose condition counts, else (no such print in the
    bucket) from all prints with ``regular_count = 0`` marking it; volume and tick count from every print.
    """
    counts = f"FILTER (WHERE condition IN ({_sql_list(ohlc_conditions)}))"

    def ohlc(agg: str, alias: str) -> str:
        return f"coalesce({agg} {counts}, {agg}) AS {alias}"

    return (
        f"CREATE MATERIALIZED VIEW IF NOT EXISTS {name} WITH (timescaledb.continuous) AS "
        f"SELECT symbol, time_bucket(INTERVAL '{minutes} minutes', ts, origin => TIMESTAMPTZ '{BUCKET_ORIGIN}') "
        f"AS bucket, {ohlc('first(price, ts)', 'open')}, {ohlc('max(price)', 'high')}, "
        f"{ohlc('min(price)', 'low')}, {ohlc('last(price, ts)', 'close')}, "
        f"sum(size) AS volume, count(*) AS tick_count, count(*) {counts} AS regular_count "
        "FROM ticks GROUP BY symbol, bucket WITH NO DATA"
    )


def timescale_statements(opts: TimescaleOptions) -> list[str]:
    """Hypertable, continuous aggregates with refresh policies, compression and, if set, retention (2.x API)."""
    stmts = [
        "CREATE EXTENSION IF NOT EXISTS timescaledb",
        "SELECT create_hypertable('ticks', 'ts', "
        f"chunk_time_interval => INTERVAL '{opts.chunk_interval_days} days', migrate_data => true, "
        "if_not_exists => true)",
    ]
    for name, minutes in AGGREGATES.items():
        stmts.append(aggregate_sql(name, minutes, opts.ohlc_conditions))
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
    ]
    if opts.retention_days is not None:
        stmts.append(
            f"SELECT add_retention_policy('ticks', INTERVAL '{opts.retention_days} days', if_not_exists => true)")
    return stmts
