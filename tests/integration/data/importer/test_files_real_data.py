"""Reading the real market-data files in ../shared/data completely: counts, layouts, first timestamps."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import shared_file
from theo.data.files import read_market_file


def test_daily_bars_start_at_new_york_midnight_of_the_session_date() -> None:
    res = read_market_file(shared_file("eqker/SPY_1d_2018-01-02_2019-02-15.csv.gz"), "SPY")
    assert res.kind == "bars"
    assert res.timeframe == "1d"
    assert res.rows == 283
    assert not res.rejections
    first = res.bars.to_bars()[0] if res.bars else None
    assert first is not None
    assert first.start == datetime(2018, 1, 2, 5, 0, tzinfo=UTC)
    assert first.end == datetime(2018, 1, 3, 5, 0, tzinfo=UTC)


def test_quotes_allow_one_empty_side() -> None:
    res = read_market_file(shared_file("lean/IBM_quotes_tick_2013-10-07_2013-10-11.csv.gz"), "IBM")
    assert res.kind == "quotes"
    assert res.rows == 575_589
    assert not res.rejections


def test_spy_tick_file_reads_completely_with_ten_suspicious() -> None:
    res = read_market_file(shared_file("lean/SPY_trades_tick_2013-10-07_2013-10-11.csv.gz"), "SPY")
    assert res.ticks is not None
    assert len(res.ticks) == 1_887_460
    assert not res.rejections
    assert int(res.ticks.suspicious.sum()) == 10
    assert res.ticks.line[-1] == 1_887_461
    assert res.ticks.head(1).to_ticks()[0].ts == datetime(2013, 10, 7, 8, 0, 0, 464000, tzinfo=UTC)
