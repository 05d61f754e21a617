"""Broken CSV structure: a clear error naming file, line and column, and the good rows kept."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from theo.core.errors import ImportFileError
from theo.data.files import read_market_file
from theo.data.files_csv import MAX_LINE_BYTES


def test_a_duplicated_header_column_is_refused_naming_file_line_and_columns(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("ts,price,Price,size\n2013-10-07T09:30:00-04:00,1,1,100\n")
    with pytest.raises(ImportFileError) as info:
        read_market_file(path, "SPY")
    assert str(info.value) == (f"{path}: line 1 (header), column 3: column 'price' appears twice (columns 2 "
                               "and 3); rename or remove one, nothing was imported")


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_a_20_mb_line_is_rejected_alone_and_the_line_numbers_stay_the_files(tmp_path: Path, suffix: str) -> None:
    body = ("ts,price,size,exchange\n"
            "2013-10-07T09:30:00-04:00,167.41,100,P\n"
            "2013-10-07T09:30:01-04:00,167.41," + "9" * 20_000_000 + ",P\n"
            "2013-10-07T09:30:02-04:00,167.42\n"
            "2013-10-07T09:30:03-04:00,167.43,200,P\n").encode()
    path = tmp_path / f"SPY_ticks{suffix}"
    path.write_bytes(gzip.compress(body) if suffix.endswith(".gz") else body)
    res = read_market_file(path, "SPY")
    assert [(r.line, r.column, r.reason) for r in res.rejections] == [
        (3, "size", "line_too_long"), (4, "row", "missing_field")]
    assert res.rejections[0].detail == (f"line 3 has 20,000,036 bytes (limit {MAX_LINE_BYTES:,}); column 3 (size) "
                                         "holds 20,000,000 of them")
    assert len(res.rejections[0].raw) < 100
    assert res.ticks is not None
    assert res.ticks.line.tolist() == [2, 5]
    assert res.ticks.price.tolist() == [167.41, 167.43]


def test_lines_that_are_not_utf8_are_rejected_alone_naming_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "SPY_ticks.csv"
    path.write_bytes(b"ts,price,size\n2013-10-07T09:30:00-04:00,167.41,100\n2013-10-07T09:30:01-04:00,16\xff7.41,100\n"
                     b"2013-10-07T09:30:01-04:00,\xdf\n2013-10-07T09:30:02-04:00,167.42,100\n")
    res = read_market_file(path, "SPY")
    assert [(r.line, r.column, r.value, r.reason, r.detail) for r in res.rejections] == [
        (3, "price", "16\\xff7.41", "not_utf8", "line 3, column 2 (price): byte 0xff is not UTF-8 text"),
        (4, "price", "\\xdf", "not_utf8", "line 4, column 2 (price): byte 0xdf is not UTF-8 text")]
    assert res.ticks is not None
    assert res.ticks.line.tolist() == [2, 5]
