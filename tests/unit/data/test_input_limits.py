"""Rows that cannot be true are quarantined with a reason: far-off timestamps, absurd prices and sizes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from theo.data.config import InputLimits, MarketDataConfig
from theo.data.files import read_market_file

HEADER = "ts,price,size\n"


def _write(tmp: Path, rows: list[str], name: str = "SPY_ticks.csv", header: str = HEADER) -> Path:
    path = tmp / name
    path.write_text(header + "\n".join(rows) + "\n")
    return path


def test_a_tick_in_9999_is_quarantined_and_later_valid_rows_stay_in_order(tmp_path: Path) -> None:
    path = _write(tmp_path, ["2013-10-07T09:30:00-04:00,167.41,100",
                             "9999-12-31T00:00:00+00:00,167.41,100",
                             "1989-12-29T10:00:00-05:00,167.41,100",
                             "2013-10-07T09:30:01-04:00,167.42,100",
                             "2013-10-07T09:30:02-04:00,167.43,100"])
    res = read_market_file(path, "SPY")
    assert [(r.line, r.column, r.reason) for r in res.rejections] == [
        (3, "ts", "timestamp_out_of_range"), (4, "ts", "timestamp_out_of_range")]
    assert "9999-12-31T00:00:00+00:00 is outside 1990-01-01T00:00:00+00:00 .. " in res.rejections[0].detail
    assert res.rejections[0].ts_us is None
    assert res.ticks is not None
    assert res.ticks.line.tolist() == [2, 5, 6]


def test_the_time_window_is_configurable_and_follows_the_clock() -> None:
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    lo, hi = InputLimits().window_us(now)
    assert lo == int(datetime(1990, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000
    assert hi == int(datetime(2026, 12, 5, 12, 0, tzinfo=UTC).timestamp()) * 1_000_000
    limits = InputLimits(earliest=date(2010, 1, 1), max_ahead_seconds=0)
    assert limits.window_us(now) == (int(datetime(2010, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000,
                                     int(now.timestamp()) * 1_000_000)
    assert MarketDataConfig.model_validate({"validation": {"earliest": "2000-01-03"}}).validation.earliest \
        == date(2000, 1, 3)
    with pytest.raises(ValidationError, match="min_price=5 must be below max_price=1"):
        InputLimits(min_price=5, max_price=1)


def test_absurd_prices_and_sizes_are_quarantined_with_their_reason(tmp_path: Path) -> None:
    path = _write(tmp_path, ["2013-10-07T09:30:00-04:00,167.41,100",
                             "2013-10-07T09:30:01-04:00,1e308,100",
                             "2013-10-07T09:30:02-04:00,167.41,1e30",
                             "2013-10-07T09:30:03-04:00,167.41,100.5",
                             "2013-10-07T09:30:04-04:00,0.0000001,100",
                             "2013-10-07T09:30:05-04:00,167.41005,100",
                             "2013-10-07T09:30:06-04:00,167.4125,100"])
    res = read_market_file(path, "SPY")
    assert [(r.line, r.column, r.value, r.reason) for r in res.rejections] == [
        (3, "price", "1e308", "implausible_price"),
        (4, "size", "1e30", "implausible_size"),
        (5, "size", "100.5", "fractional_size"),
        (6, "price", "0.0000001", "implausible_price"),
        (7, "price", "167.41005", "off_tick_price")]
    assert "fractional_sizes = true" in res.rejections[2].detail
    assert res.ticks is not None
    assert res.ticks.price.tolist() == [167.41, 167.4125]  # a sub-penny print on the $0.0001 grid is kept


def test_bars_and_quotes_get_the_same_bounds_and_a_feed_may_allow_fractions(tmp_path: Path) -> None:
    bars = _write(tmp_path, ["2019-02-11T09:30:00-05:00,270.1,270.2,270.0,270.15,1000",
                             "2019-02-11T09:31:00-05:00,270.1,1e308,270.0,270.15,1000",
                             "2019-02-11T09:32:00-05:00,270.1,270.2,270.0,270.15,10.5"],
                  name="SPY_1min.csv", header="ts,open,high,low,close,volume\n")
    res = read_market_file(bars, "SPY")
    assert [(r.line, r.column, r.reason) for r in res.rejections] == [
        (3, "high", "implausible_price"), (4, "volume", "fractional_size")]
    loose = read_market_file(bars, "SPY", limits=InputLimits(fractional_sizes=True, max_price=float("inf")))
    assert loose.rows == 3
    quotes = _write(tmp_path, ["2013-10-07T09:30:00-04:00,0,0,167.41,300",
                               "2013-10-07T09:30:01-04:00,167.40,200,0,0",
                               "2013-10-07T09:30:02-04:00,167.40,1e30,0,0"],
                    name="IBM_quotes.csv", header="ts,bid,bid_size,ask,ask_size\n")
    res = read_market_file(quotes, "IBM")
    assert [(r.line, r.column, r.reason) for r in res.rejections] == [(4, "bid_size", "implausible_size")]


def test_a_futures_contract_is_held_to_its_exchange_tick(tmp_path: Path) -> None:
    from theo.data.importer import instrument_limits

    assert instrument_limits("ESZ13", None).price_increment == 0.25
    assert instrument_limits("SPY", None).price_increment == 0.0001
    assert instrument_limits("ESZ13", InputLimits(price_increment=0)).price_increment == 0
    path = _write(tmp_path, ["2013-10-07T09:30:00-04:00,1690.25,1,1,1,3",
                             "2013-10-07T09:31:00-04:00,1690.30,1,1,1,3"],
                  name="ESZ13_1min.csv", header="ts,open,high,low,close,volume\n")
    path.write_text(path.read_text().replace(",1,1,1,3", ",1690.5,1690,1690.25,3"))
    res = read_market_file(path, "ESZ13", limits=instrument_limits("ESZ13", None))
    assert [(r.line, r.column, r.value, r.reason) for r in res.rejections] == [(3, "open", "1690.30", "off_tick_price")]
