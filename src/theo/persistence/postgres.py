"""PostgreSQL-only parts of the schema: BRIN indexes, or TimescaleDB objects when the extension exists.

Kept SQL-only and small on purpose: TimescaleDB cannot be installed on our CI machines, so this path is
written against the TimescaleDB 2.x documentation and source (continuous aggregates with a bucket ``origin``
need 2.14 or later; ``FILTER`` in their aggregates needs 2.7; ``create_hypertable`` with ``by_range`` 2.13;
PostgreSQL 15 is supported up to 2.28.x). The SQL comes from pure functions so that unit tests check every
statement and an integration test runs the aggregates' ``SELECT`` on plain PostgreSQL. Whether TimescaleDB is
used at all is decided in :mod:`theo.persistence.timescale`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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


#: The order of prints inside a bucket as one number: ``(ts, seq)`` as Theo orders ticks (the streaming bars,
#: the store's own ``GROUP BY``). TimescaleDB's ``first``/``last`` keep the first row seen on a tie of their
#: second argument, so ordering by ``ts`` alone picked an arbitrary print among those sharing the bucket's first
#: or last timestamp (6 of 515 IBM 5-minute closes differed). Microseconds since 2000-01-01 (exact: ``extract``
#: of an interval is numeric) times 2**32, plus ``seq`` shifted to be non-negative: every (ts, seq) pair maps to
#: a distinct numeric in the same order. Built only from immutable functions (``timestamptz - timestamptz``,
#: ``extract(epoch FROM interval)``, numeric arithmetic), as continuous aggregates require, and a scalar so that
#: ``first``/``last`` can compare it with ``<``/``>`` and serialize it for parallel partial aggregation.
ORDER_KEY = ("(extract(epoch FROM ts - TIMESTAMPTZ '2000-01-01 00:00:00+00') * 1000000 * 4294967296 "
             "+ (seq + 2147483648))")


@dataclass(frozen=True)
class TimescaleOptions:
    """Policy intervals and the OHLC condition filter (from the config, see :func:`theo.persistence.db.upgrade`).

    ``retention_days`` is opt-in (``None``: no retention policy) because TimescaleDB counts it from *now*:
    a default would silently drop every imported historical tick at the next policy run. ``mode`` is
    ``[database] timescale``: ``auto`` uses TimescaleDB when it is usable, ``require`` stops when it is not,
    ``off`` never uses it (:func:`theo.persistence.timescale.decide`).
    """

    mode: str = "auto"
    compress_after_days: int = 7
    retention_days: int | None = None
    chunk_interval_days: int = 1
    ohlc_conditions: tuple[str, ...] = DEFAULT_OHLC_CONDITIONS


def _options() -> TimescaleOptions:
    """The options handed to Alembic by :func:`theo.persistence.db.upgrade`, or the defaults."""
    from alembic import context

    try:
        opts = context.config.attributes.get("timescale")
    except (AttributeError, NameError):
        opts = None
    return opts if isinstance(opts, TimescaleOptions) else TimescaleOptions()


def upgrade_core(op: Any) -> None:
    """Plain PostgreSQL: BRIN index on tick time. TimescaleDB when usable: see :func:`timescale_statements`.

    An extension that is installed on the server but not preloaded is not usable: creating it would end the
    connection (``FATAL: extension "timescaledb" must be preloaded``) in the middle of the migration.
    """
    from theo.persistence.timescale import decide, probe

    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    opts = _options()
    decision = decide(probe(bind), opts.mode)
    if decision.use:
        for stmt in timescale_statements(opts):
            op.execute(stmt)
    else:
        op.execute(BRIN_INDEX)
    if decision.warning:  # `theo db upgrade` and `theo db timescale status` print it as a warning every time
        from theo.core.logging import get_logger

        get_logger(__name__).info("timescale.not_used", detail=decision.warning)


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


def aggregate_select_sql(minutes: int, ohlc_conditions: Sequence[str] = DEFAULT_OHLC_CONDITIONS) -> str:
    """The ``SELECT`` of one OHLCV continuous aggregate over ``ticks`` (:func:`aggregate_sql` wraps it).

    As the streaming bars do: OHLC from the prints whose condition counts, else (no such print in the
    bucket) from all prints with ``regular_count = 0`` marking it; open and close are the first and last
    print by ``(ts, seq)`` (:data:`ORDER_KEY`); volume and tick count from every print.
    """
    counts = f"FILTER (WHERE condition IN ({_sql_list(ohlc_conditions)}))"

    def ohlc(agg: str, alias: str) -> str:
        return f"coalesce({agg} {counts}, {agg}) AS {alias}"

    return (
        f"SELECT symbol, time_bucket(INTERVAL '{minutes} minutes', ts, origin => TIMESTAMPTZ '{BUCKET_ORIGIN}') "
        f"AS bucket, {ohlc(f'first(price, {ORDER_KEY})', 'open')}, {ohlc('max(price)', 'high')}, "
        f"{ohlc('min(price)', 'low')}, {ohlc(f'last(price, {ORDER_KEY})', 'close')}, "
        f"sum(size) AS volume, count(*) AS tick_count, count(*) {counts} AS regular_count "
        "FROM ticks GROUP BY symbol, bucket"
    )


def aggregate_sql(name: str, minutes: int, ohlc_conditions: Sequence[str] = DEFAULT_OHLC_CONDITIONS) -> str:
    """``CREATE MATERIALIZED VIEW`` of one OHLCV continuous aggregate (empty until refreshed)."""
    return (f"CREATE MATERIALIZED VIEW IF NOT EXISTS {name} WITH (timescaledb.continuous) AS "
            f"{aggregate_select_sql(minutes, ohlc_conditions)} WITH NO DATA")


def aggregate_statements(opts: TimescaleOptions) -> list[str]:
    """The four continuous aggregates, each followed by its refresh policy."""
    stmts: list[str] = []
    for name, minutes in AGGREGATES.items():
        stmts.append(aggregate_sql(name, minutes, opts.ohlc_conditions))
        # Refresh the last few days up to one bucket ago; older buckets are final (ticks arrive in order).
        stmts.append(
            f"SELECT add_continuous_aggregate_policy('{name}', start_offset => INTERVAL '3 days', "
            f"end_offset => INTERVAL '{minutes} minutes', schedule_interval => INTERVAL '{minutes} minutes', "
            "if_not_exists => true)"
        )
    return stmts


def refresh_statements() -> list[str]:
    """Materialize every aggregate over all stored ticks (``CALL``: outside a transaction block)."""
    return [f"CALL refresh_continuous_aggregate('{name}', NULL, NULL)" for name in AGGREGATES]


#: ``ticks`` becomes a hypertable in place (the 2.13+ ``by_range`` form); its own ``ix_ticks_ts`` serves as the
#: time index, so TimescaleDB's default ``ticks_ts_idx`` is not added and the indexes stay the models'.
def hypertable_sql(opts: TimescaleOptions) -> str:
    return (f"SELECT create_hypertable('ticks', by_range('ts', INTERVAL '{opts.chunk_interval_days} days'), "
            "create_default_indexes => false, if_not_exists => true, migrate_data => true)")


COMPRESSION_SQL = ("ALTER TABLE ticks SET (timescaledb.compress, timescaledb.compress_segmentby = 'symbol', "
                   "timescaledb.compress_orderby = 'ts, seq')")


def policy_statements(opts: TimescaleOptions) -> list[str]:
    """The compression policy and, if configured, the retention policy (both ``if_not_exists``)."""
    stmts = [f"SELECT add_compression_policy('ticks', INTERVAL '{opts.compress_after_days} days', "
             "if_not_exists => true)"]
    if opts.retention_days is not None:
        stmts.append(
            f"SELECT add_retention_policy('ticks', INTERVAL '{opts.retention_days} days', if_not_exists => true)")
    return stmts


def timescale_statements(opts: TimescaleOptions) -> list[str]:
    """A new store: hypertable, continuous aggregates with refresh policies, compression, retention if set."""
    return ["CREATE EXTENSION IF NOT EXISTS timescaledb", hypertable_sql(opts), *aggregate_statements(opts),
            COMPRESSION_SQL, *policy_statements(opts)]
