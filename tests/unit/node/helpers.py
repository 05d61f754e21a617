"""Small builders shared by the engine unit tests."""

from __future__ import annotations

import numpy as np

from theo.model.series import BarSeries

T0 = 1_549_895_400_000_000  # 2019-02-11 14:30 UTC
MIN = 60_000_000


def walk(n: int, seed: int, symbol: str = "AAA", start: float = 100.0) -> BarSeries:
    """A seeded random-walk series of 1-minute bars."""
    rng = np.random.default_rng(seed)
    close = start * np.exp(np.cumsum(rng.normal(0, 0.002, n)))
    open_ = np.concatenate(([start], close[:-1]))
    spread = np.abs(rng.normal(0, 0.001, n)) * close
    high = np.maximum(open_, close) + spread
    low = np.minimum(open_, close) - spread
    ts = T0 + np.arange(n, dtype=np.int64) * MIN
    return BarSeries(symbol, "1m", ts, ts + MIN, open_, high, low, close, np.full(n, 100.0))


def bars(symbol: str, rows: list[tuple[float, float, float, float]]) -> BarSeries:
    """1-minute bars from (open, high, low, close) rows."""
    a = np.array(rows, dtype=np.float64)
    ts = T0 + np.arange(len(rows), dtype=np.int64) * MIN
    return BarSeries(symbol, "1m", ts, ts + MIN, a[:, 0], a[:, 1], a[:, 2], a[:, 3], np.full(len(rows), 1.0))
