"""Fuzz the market-data file reader: any bytes give rows, rejections or an ImportFileError, never a traceback."""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from theo.core.errors import TheoError
from theo.data.files import read_market_file

pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")

HEADERS = ["ts,price,size", "ts,price,size,exchange,condition,suspicious", "ts,open,high,low,close,volume",
           "ts,open,high,low,close", "ts,bid,bid_size,ask,ask_size", "timestamp,price,size", "ts,price,price,size",
           "ts,open,high,low,close,volume,split_factor", "price,size", "", "ts,,size"]
FIELDS = st.one_of(
    st.sampled_from(["2013-10-07T09:30:00-04:00", "2013-10-07T09:30:00.123Z", "2013-10-07", "2013-10-07 09:30",
                     "9999-12-31T00:00:00Z", "0001-01-01", "167.41", "0", "-1", "1e308", "nan", "inf", "100.5",
                     "1", "true", "", " ", '"', '"a,b"', "\x00", "2013-02-30", "24:00"]),
    st.text(max_size=12),
    st.floats(allow_nan=True).map(repr),
    st.integers().map(str),
)
ROWS = st.lists(st.lists(FIELDS, min_size=0, max_size=8).map(",".join), max_size=12)
SUFFIXES = st.sampled_from(["ticks.csv", "1min.csv", "1d.csv", "quotes.csv", "x.csv.gz", "x.parquet"])


def _read(name: str, data: bytes, **kwargs: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"SPY_{name}"
        path.write_bytes(data)
        try:
            res = read_market_file(path, "SPY", **kwargs)  # type: ignore[arg-type]
        except TheoError:
            return
        assert res.rows + len(res.rejections) >= 0
        assert all(r.line >= 1 and r.reason for r in res.rejections)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(HEADERS), ROWS, SUFFIXES, st.sampled_from([None, "America/New_York", "Mars/Base"]),
       st.sampled_from([None, "1m", "1d", "7x"]))
def test_structured_csv_never_raises_anything_but_a_theo_error(header: str, rows: list[str], name: str,
                                                                 tz: str | None, timeframe: str | None) -> None:
    data = ("\n".join([header, *rows]) + "\n").encode("utf-8", "surrogatepass")
    kwargs = {k: v for k, v in (("tz", tz), ("timeframe", timeframe)) if v is not None}
    _read(name, gzip.compress(data) if name.endswith(".gz") else data, **kwargs)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300), SUFFIXES)
def test_arbitrary_bytes_never_raise_anything_but_a_theo_error(data: bytes, name: str) -> None:
    _read(name, b"ts,price,size\n" + data if data[:1] != b"\x1f" else data)
