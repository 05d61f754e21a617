"""Reading market-data files: layouts, timezones, timeframes and per-row rejections."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from theo.core.errors import ImportFileError
from theo.data.files import read_market_file, timeframe_from_name

HEADER = "ts,price,size,exchange,condition,suspicious\n"
CORRUPT = [
    ("2013-10-07T09:30:00.000-04:00,167.41,100,P,1,0", None),
    ("2013-10-07T09:30:00.100-04:00,abc,100,P,1,0", ("price", "abc", "unparsable_number")),
    ("notatime,167.41,100,P,1,0", ("ts", "notatime", "unparsable_timestamp")),
    ("2013-10-07T09:30:00.200-04:00,nan,100,P,1,0", ("price", "nan", "nan_or_inf")),
    ("2013-10-07T09:30:00.300-04:00,0,100,P,1,0", ("price", "0", "non_positive_price")),
    ("2013-10-07T09:30:00.400-04:00,167.41,-5,P,1,0", ("size", "-5", "negative_size")),
    ("2013-10-07T09:29:00.000-04:00,167.41,100,P,1,0", ("ts", "2013-10-07T09:29:00.000-04:00", "out_of_order")),
    ("2013-10-07T09:30:00.500-04:00,,100,P,1,0", ("price", "", "missing_field")),
    ("2013-10-07T09:30:00.600-04:00,167.41", ("row", "2013-10-07T09:30:00.600-04:00,167.41", "missing_field")),
    ("2013-10-07T09:30:00.800-04:00,167.41,inf,P,1,0", ("size", "inf", "nan_or_inf")),
    ("2013-10-07T09:30:00.900-04:00,167.42,200,Q,1,1", None),
    ("2013-10-07T09:30:00.950-04:00,167.43,300,Q,1,0", None),
]


def write_corrupt(tmp: Path) -> Path:
    path = tmp / "corrupt_ticks.csv"
    path.write_text(HEADER + "\n".join(row for row, _ in CORRUPT) + "\n")
    return path


def test_each_bad_row_is_rejected_with_line_column_value_and_reason(tmp_path: Path) -> None:
    res = read_market_file(write_corrupt(tmp_path), "SPY")
    expected = [(i + 2, *bad) for i, (_, bad) in enumerate(CORRUPT) if bad is not None]
    assert [(r.line, r.column, r.value, r.reason) for r in res.rejections] == expected
    assert res.ticks is not None
    assert res.ticks.line.tolist() == [2, 12, 13]
    assert res.ticks.price.tolist() == [167.41, 167.42, 167.43]
    assert res.ticks.suspicious.tolist() == [False, True, False]
    assert res.ticks.ts_us[0] == 1381152600000000  # 09:30 EDT = 13:30 UTC


def test_naive_timestamps_need_a_timezone(tmp_path: Path) -> None:
    path = tmp_path / "naive_1min.csv"
    path.write_text("ts,open,high,low,close,volume\n2020-01-02 09:30:00,1,2,0.5,1.5,10\n"
                    "2020-01-02 09:31:00,1.5,2,1,1.2,5\n")
    with pytest.raises(ImportFileError, match=r"naive_1min.csv: ts value '2020-01-02 09:30:00' on line 2 .*--tz"):
        read_market_file(path, "X")
    res = read_market_file(path, "X", tz="America/New_York")
    assert res.bars is not None
    assert res.timeframe == "1m"
    bars = res.bars.to_bars()
    assert bars[0].start == datetime(2020, 1, 2, 14, 30, tzinfo=UTC)
    assert bars[0].end == datetime(2020, 1, 2, 14, 31, tzinfo=UTC)
    with pytest.raises(ImportFileError, match="unknown timezone 'Mars/Olympus'"):
        read_market_file(path, "X", tz="Mars/Olympus")


def test_timeframe_comes_from_the_name_or_the_spacing(tmp_path: Path) -> None:
    assert timeframe_from_name(Path("SPY_15min_2019.csv.gz")) == "15m"
    assert timeframe_from_name(Path("SPY_1h_1998.csv.gz")) == "1h"
    assert timeframe_from_name(Path("SPY_1s_2013.csv.gz")) == "1s"
    assert timeframe_from_name(Path("bars.csv")) is None
    path = tmp_path / "bars.csv"
    path.write_text("ts,open,high,low,close\n" + "\n".join(
        f"2019-02-11T09:{m:02d}:00-05:00,1,1,1,1" for m in (30, 35, 40, 50)) + "\n")
    assert read_market_file(path, "X").timeframe == "5m"
    assert read_market_file(path, "X", timeframe="1h").timeframe == "1h"


def test_unknown_layout_and_missing_file_are_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("ts,foo\n2020-01-02T09:30:00Z,1\n")
    with pytest.raises(ImportFileError, match="unknown layout ts,foo"):
        read_market_file(path, "X")
    with pytest.raises(ImportFileError, match="no such file"):
        read_market_file(tmp_path / "absent.csv", "X")


def test_parquet_with_the_same_columns(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"ts": ["2013-10-07T09:30:00-04:00", "2013-10-07T09:30:01-04:00"],
                             "price": [1.5, -1.0], "size": [10, 20]}), path)
    res = read_market_file(path, "X")
    assert res.ticks is not None
    assert res.ticks.price.tolist() == [1.5]
    assert [(r.line, r.reason) for r in res.rejections] == [(3, "non_positive_price")]
