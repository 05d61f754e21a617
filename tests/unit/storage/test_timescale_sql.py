"""The TimescaleDB statements (checked as text: the extension cannot be installed on CI)."""

from __future__ import annotations

from theo.storage.postgres import AGGREGATES, TimescaleOptions, aggregate_sql, timescale_statements


def test_ticks_become_a_hypertable_keeping_existing_rows() -> None:
    stmts = timescale_statements(TimescaleOptions())
    assert stmts[0] == "CREATE EXTENSION IF NOT EXISTS timescaledb"
    assert stmts[1].startswith("SELECT create_hypertable('ticks', 'ts'")
    assert "migrate_data => true" in stmts[1]


def test_four_ohlcv_aggregates_each_with_a_refresh_policy() -> None:
    stmts = timescale_statements(TimescaleOptions())
    assert list(AGGREGATES) == ["ticks_5m", "ticks_15m", "ticks_30m", "ticks_60m"]
    for name, minutes in AGGREGATES.items():
        create = aggregate_sql(name, minutes)
        assert create in stmts
        assert f"CREATE MATERIALIZED VIEW IF NOT EXISTS {name} WITH (timescaledb.continuous)" in create
        assert f"time_bucket(INTERVAL '{minutes} minutes', ts, origin => TIMESTAMPTZ" in create
        for part in ("first(price, ts) AS open", "max(price) AS high", "min(price) AS low",
                     "last(price, ts) AS close", "sum(size) AS volume", "GROUP BY symbol, bucket"):
            assert part in create
        policy = [s for s in stmts if s.startswith(f"SELECT add_continuous_aggregate_policy('{name}'")]
        assert len(policy) == 1
        assert f"end_offset => INTERVAL '{minutes} minutes'" in policy[0]


def test_hourly_buckets_start_at_half_past_so_the_first_regular_bar_is_0930_et() -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from theo.storage.postgres import BUCKET_ORIGIN

    origin = datetime.fromisoformat(BUCKET_ORIGIN)
    et = origin.astimezone(ZoneInfo("America/New_York"))
    assert (et.hour, et.minute) == (9, 30)
    # A summer open (EDT) is a whole number of hours away from the winter origin, so it starts a bucket.
    summer_open = datetime(2013, 10, 7, 9, 30, tzinfo=ZoneInfo("America/New_York"))
    assert (summer_open - origin) % timedelta(minutes=60) == timedelta(0)


def test_compression_and_retention_use_the_configured_intervals() -> None:
    stmts = timescale_statements(TimescaleOptions(compress_after_days=3, retention_days=400))
    assert ("ALTER TABLE ticks SET (timescaledb.compress, timescaledb.compress_segmentby = 'symbol', "
            "timescaledb.compress_orderby = 'ts, seq')") in stmts
    assert "SELECT add_compression_policy('ticks', INTERVAL '3 days', if_not_exists => true)" in stmts
    assert "SELECT add_retention_policy('ticks', INTERVAL '400 days', if_not_exists => true)" in stmts


def test_database_config_feeds_the_migration_options() -> None:
    from theo.config.app import DatabaseConfig
    from theo.storage.db import alembic_config, make_engine, timescale_options

    opts = timescale_options(DatabaseConfig(timescale_compress_after_days=2, timescale_retention_days=90))
    assert opts == TimescaleOptions(compress_after_days=2, retention_days=90)
    cfg = alembic_config(make_engine("sqlite://"), opts)
    assert cfg.attributes["timescale"] is opts
