"""Helpers for indicator tests: real bar files read with pandas, and bars as domain objects."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from tests.conftest import shared_file
from theo.core.time import from_us
from theo.indicators.base import BarArrays
from theo.model.enums import SessionKind
from theo.model.market import Bar


def read_frame(rel: str) -> pd.DataFrame:
    """A shared-data bar file with a UTC ``start`` column (daily dates at 00:00 New York)."""
    df = pd.read_csv(shared_file(rel))
    ts = df["ts"].astype(str)
    if ts.str.len().max() == 10:
        start = pd.to_datetime(ts).dt.tz_localize("America/New_York").dt.tz_convert("UTC")
    else:
        start = pd.to_datetime(ts, utc=True)
    df["start"] = start
    return df


def arrays_from_frame(df: pd.DataFrame, symbol: str, timeframe: str, regular: Any = None) -> BarArrays:
    us = df["start"].dt.as_unit("us").astype("int64").to_numpy()
    n = len(df)
    return BarArrays(symbol, timeframe, us, df["open"].to_numpy(float), df["high"].to_numpy(float),
                     df["low"].to_numpy(float), df["close"].to_numpy(float),
                     df["volume"].to_numpy(float) if "volume" in df else np.zeros(n),
                     np.ones(n, dtype=bool) if regular is None else np.asarray(regular, dtype=bool))


def to_bars(a: BarArrays, step: timedelta = timedelta(minutes=1)) -> list[Bar]:
    """Domain bars of the arrays (session REGULAR where ``a.regular``, else PRE)."""
    out = []
    for i in range(len(a)):
        start = from_us(int(a.start_us[i]))
        out.append(Bar(a.symbol, a.timeframe, start, start + step, float(a.open[i]), float(a.high[i]),
                       float(a.low[i]), float(a.close[i]), float(a.volume[i]), 1,
                       SessionKind.REGULAR if a.regular[i] else SessionKind.PRE))
    return out


def synthetic(highs: list[float], lows: list[float] | None = None, timeframe: str = "1m",
              start_us: int = 1_546_612_200_000_000, step_us: int = 60_000_000) -> BarArrays:
    """Bars with the given highs (and lows, default high - 1); closes at the midpoint."""
    h = np.asarray(highs, dtype=float)
    lo = np.asarray(lows, dtype=float) if lows is not None else h - 1.0
    n = h.shape[0]
    return BarArrays("TEST", timeframe, start_us + step_us * np.arange(n, dtype=np.int64), (h + lo) / 2, h, lo,
                     (h + lo) / 2, np.ones(n), np.ones(n, dtype=bool))


def assert_same(stream: list[float | None], batch: np.ndarray, rtol: float = 0.0, what: str = "") -> None:
    """Streaming values (None = not ready) equal the batch array (NaN = not ready) on every bar."""
    s = np.array([np.nan if v is None else v for v in stream], dtype=float)
    assert s.shape == batch.shape, what
    both_nan = np.isnan(s) & np.isnan(batch)
    assert (np.isnan(s) == np.isnan(batch)).all(), f"{what}: readiness differs at bar " \
        f"{int(np.flatnonzero(np.isnan(s) != np.isnan(batch))[0])}"
    ok = both_nan | np.isclose(s, batch, rtol=rtol, atol=0.0) | (s == batch)
    assert ok.all(), f"{what}: first difference at bar {int(np.flatnonzero(~ok)[0])}"
