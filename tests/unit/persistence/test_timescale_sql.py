"""The TimescaleDB statements (checked as text: the extension cannot be installed on CI)."""

from __future__ import annotations

import pytest

from theo.persistence.postgres import AGGREGATES, ORDER_KEY, TimescaleOptions, aggregate_sql, timescale_statements


def test_ticks_become_a_hypertable_keeping_existing_rows() -> None:
    stmts = timescale_statements(TimescaleOptions())
    assert stmts[0] == "CREATE EXTENSION IF NOT EXISTS timescaledb"
    assert stmts[1] == ("SELECT create_hypertable('ticks', by_range('ts', INTERVAL '1 days'), "
                        "create_default_indexes => false, if_not_exists => true, migrate_data => true)")


def test_four_ohlcv_aggregates_each_with_a_refresh_policy() -> None:
    stmts = timescale_statements(TimescaleOptions())
    assert list(AGGREGATES) == ["ticks_5m", "ticks_15m", "ticks_30m", "ticks_60m"]
    for name, minutes in AGGREGATES.items():
        create = aggregate_sql(name, minutes)
        assert create in stmts
        assert f"CREATE MATERIALIZED VIEW IF NOT EXISTS {name} WITH (timescaledb.continuous)" in create
        assert f"time_bucket(INTERVAL '{minutes} minutes', ts, origin => TIMESTAMPTZ" in create
        counts = "FILTER (WHERE condition IN ('', '1', '20000001'))"
        for part in (f"coalesce(first(price, {ORDER_KEY}) {counts}, first(price, {ORDER_KEY})) AS open",
                     f"coalesce(max(price) {counts}, max(price)) AS high",
                     f"coalesce(min(price) {counts}, min(price)) AS low",
                     f"coalesce(last(price, {ORDER_KEY}) {counts}, last(price, {ORDER_KEY})) AS close",
                     "sum(size) AS volume", "count(*) AS tick_count", f"count(*) {counts} AS regular_count",
                     "FROM ticks GROUP BY symbol, bucket WITH NO DATA"):
            assert part in create
        policy = [s for s in stmts if s.startswith(f"SELECT add_continuous_aggregate_policy('{name}'")]
        assert len(policy) == 1
        assert f"end_offset => INTERVAL '{minutes} minutes'" in policy[0]


def test_hourly_buckets_start_at_half_past_so_the_first_regular_bar_is_0930_et() -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from theo.persistence.postgres import BUCKET_ORIGIN

    origin = datetime.fromisoformat(BUCKET_ORIGIN)
    et = origin.astimezone(ZoneInfo("America/New_York"))
    assert (et.hour, et.minute) == (9, 30)
    # A summer open (EDT) is a whole number of hours away from the winter origin, so it starts a bucket.
    summer_open = datetime(2013, 10, 7, 9, 30, tzinfo=ZoneInfo("America/New_York"))
    assert (summer_open - origin) % timedelta(minutes=60) == timedelta(0)


def test_hourly_aggregate_sql_text() -> None:
    key = ("(extract(epoch FROM ts - TIMESTAMPTZ '2000-01-01 00:00:00+00') * 1000000 * 4294967296 "
           "+ (seq + 2147483648))")
    assert key == ORDER_KEY
    assert aggregate_sql("ticks_60m", 60, ("1",)) == (
        "CREATE MATERIALIZED VIEW IF NOT EXISTS ticks_60m WITH (timescaledb.continuous) AS SELECT symbol, "
        "time_bucket(INTERVAL '60 minutes', ts, origin => TIMESTAMPTZ '2000-01-03 14:30:00+00') AS bucket, "
        f"coalesce(first(price, {key}) FILTER (WHERE condition IN ('1')), first(price, {key})) AS open, "
        "coalesce(max(price) FILTER (WHERE condition IN ('1')), max(price)) AS high, "
        "coalesce(min(price) FILTER (WHERE condition IN ('1')), min(price)) AS low, "
        f"coalesce(last(price, {key}) FILTER (WHERE condition IN ('1')), last(price, {key})) AS close, "
        "sum(size) AS volume, count(*) AS tick_count, count(*) FILTER (WHERE condition IN ('1')) AS regular_count "
        "FROM ticks GROUP BY symbol, bucket WITH NO DATA"
    )


def test_configured_conditions_reach_every_aggregate_quoted() -> None:
    stmts = timescale_statements(TimescaleOptions(ohlc_conditions=("20000001", "o'dd")))
    creates = [s for s in stmts if s.startswith("CREATE MATERIALIZED VIEW")]
    assert len(creates) == 4
    for create in creates:
        assert create.count("FILTER (WHERE condition IN ('20000001', 'o''dd'))") == 5


def test_empty_condition_list_is_refused() -> None:
    with pytest.raises(ValueError, match="ohlc_conditions is empty"):
        aggregate_sql("ticks_5m", 5, ())


def test_default_conditions_match_the_marketdata_default() -> None:
    from theo.data.config import ConditionsConfig
    from theo.persistence.postgres import DEFAULT_OHLC_CONDITIONS

    assert tuple(ConditionsConfig().ohlc_conditions) == DEFAULT_OHLC_CONDITIONS
    assert TimescaleOptions().ohlc_conditions == DEFAULT_OHLC_CONDITIONS


def test_every_width_opens_a_bucket_at_0930_et_in_winter_and_summer() -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from theo.persistence.postgres import BUCKET_ORIGIN

    origin = datetime.fromisoformat(BUCKET_ORIGIN)
    ny = ZoneInfo("America/New_York")
    # Both sides of the 2026 DST switches (Mar 8, Nov 1) and a summer day.
    days = [(2026, 3, 6), (2026, 3, 9), (2026, 10, 30), (2026, 11, 2), (2013, 7, 8)]
    for minutes in AGGREGATES.values():
        width = timedelta(minutes=minutes)
        for y, m, d in days:
            assert (datetime(y, m, d, 9, 30, tzinfo=ny) - origin) % width == timedelta(0), (minutes, y, m, d)
            # 09:35 is inside the first bucket, never a bucket start for widths above 5 minutes.
            assert ((datetime(y, m, d, 9, 35, tzinfo=ny) - origin) % width == timedelta(0)) == (minutes == 5)
    # Documented difference: hourly pre-market buckets start at :30 ET, not at 04:00.
    four = datetime(2026, 3, 9, 4, 0, tzinfo=ny)
    assert (four - origin) % timedelta(minutes=60) == timedelta(minutes=30)


def test_retention_is_opt_in() -> None:
    stmts = timescale_statements(TimescaleOptions())
    assert not [s for s in stmts if "add_retention_policy" in s]
    assert TimescaleOptions().retention_days is None
    from theo.config.app import DatabaseConfig

    assert DatabaseConfig().timescale_retention_days is None


def test_compression_and_retention_use_the_configured_intervals() -> None:
    stmts = timescale_statements(TimescaleOptions(compress_after_days=3, retention_days=400))
    assert ("ALTER TABLE ticks SET (timescaledb.compress, timescaledb.compress_segmentby = 'symbol', "
            "timescaledb.compress_orderby = 'ts, seq')") in stmts
    assert "SELECT add_compression_policy('ticks', INTERVAL '3 days', if_not_exists => true)" in stmts
    assert "SELECT add_retention_policy('ticks', INTERVAL '400 days', if_not_exists => true)" in stmts


def test_database_config_feeds_the_migration_options() -> None:
    from theo.config.app import DatabaseConfig
    from theo.persistence.db import alembic_config, make_engine, timescale_options

    opts = timescale_options(DatabaseConfig(timescale_compress_after_days=2, timescale_retention_days=90))
    assert opts == TimescaleOptions(compress_after_days=2, retention_days=90)
    opts = timescale_options(DatabaseConfig(), ["1"])
    assert opts == TimescaleOptions(retention_days=None, ohlc_conditions=("1",))
    cfg = alembic_config(make_engine("sqlite://"), opts)
    assert cfg.attributes["timescale"] is opts
