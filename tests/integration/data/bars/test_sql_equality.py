"""The streaming bars equal the SQL aggregation of the same stored ticks, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine

from theo.adapters.sim.replay import fast_ticks
from theo.core.calendar import get_calendar
from theo.core.clock import SimulatedClock
from theo.core.time import to_us
from theo.data.bars.aggregator import BarAggregator
from theo.data.bars.sql import aggregate_sql
from theo.data.files import TickColumns
from theo.model.market import Bar
from theo.persistence.repositories.market_data import MarketDataRepository

CAL = get_calendar()
DAY = CAL.session(date(2013, 10, 9))
assert DAY is not None
TIMEFRAMES = ["1m", "5m", "30m", "60m"]


@pytest.fixture(scope="module")
def slice_cols(spy_cols: TickColumns) -> TickColumns:
    """SPY 2013-10-09 09:00-11:00 ET: the busiest part of a real day, across the pre-market/regular boundary
    (bars must not straddle 09:30). A full day takes a minute on SQLite; the golden test covers full days."""
    cols = spy_cols
    lo, hi = to_us(DAY.open - timedelta(minutes=30)), to_us(DAY.open + timedelta(minutes=90))
    return cols.select((cols.ts_us >= lo) & (cols.ts_us < hi) & ~cols.suspicious)


@pytest.fixture(scope="module")
def streamed(slice_cols: TickColumns) -> list[Bar]:
    out: list[Bar] = []
    agg = BarAggregator(TIMEFRAMES, lambda _s: CAL, None, SimulatedClock(), timedelta(seconds=2), on_bar=out.append)
    for t in fast_ticks(slice_cols, "test"):
        agg.on_tick(t)
    agg.flush()
    return [b for b in out if b.tick_count > 0]


def _key(b: Bar) -> tuple[object, ...]:
    return (b.start, b.end, b.session, b.open, b.high, b.low, b.close, b.volume, b.tick_count, b.flags)


def _check(engine: Engine, cols: TickColumns, streamed: list[Bar]) -> None:
    store = MarketDataRepository(engine)
    assert store.write_ticks(cols, "test") == len(cols)
    for tf in TIMEFRAMES:
        sql = aggregate_sql(store, "SPY", tf, DAY.pre_open, DAY.post_close, CAL).to_bars("test")
        mine = [b for b in streamed if b.timeframe == tf]
        assert len(sql) == len(mine) > 0, tf
        assert [_key(b) for b in sql] == [_key(b) for b in mine], tf


def test_streaming_bars_equal_sql_aggregation_on_sqlite(sqlite_engine: Engine, slice_cols: TickColumns,
                                                        streamed: list[Bar]) -> None:
    _check(sqlite_engine, slice_cols, streamed)


def test_streaming_bars_equal_sql_aggregation_on_postgresql(pg_engine: Engine, slice_cols: TickColumns,
                                                            streamed: list[Bar]) -> None:
    _check(pg_engine, slice_cols, streamed)
