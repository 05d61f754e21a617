"""Seeded synthetic market data for the engine benchmarks (shared by bench_engine and peers)."""

from __future__ import annotations

import numpy as np

from theo.model.series import BarSeries
from theo.node.data import MarketData

T0 = 1_704_205_800_000_000  # 2024-01-02 14:30 UTC
MIN = 60_000_000


def minute_bars(symbol: str, n: int, seed: int, start: float = 100.0) -> BarSeries:
    """``n`` one-minute bars of a random walk with realistic ranges (prices rounded to the cent)."""
    rng = np.random.default_rng(seed)
    close = np.round(start * np.exp(np.cumsum(rng.normal(0.0, 0.0008, n))), 2)
    open_ = np.concatenate(([start], close[:-1]))
    wick = np.round(np.abs(rng.normal(0.0, 0.0004, (2, n))) * close, 2)
    # Round to the cent after the arithmetic so every engine sees the same doubles (97.46, not 97.46000000000001).
    high = np.round(np.maximum(open_, close) + wick[0], 2)
    low = np.round(np.minimum(open_, close) - wick[1], 2)
    ts = T0 + np.arange(n, dtype=np.int64) * MIN
    return BarSeries(symbol, "1m", ts, ts + MIN, open_, high, low, close, rng.integers(100, 10_000, n).astype(float))


def bar_market(n: int = 500_000, symbols: tuple[str, ...] = ("AAA", "BBB"), seed: int = 42) -> MarketData:
    return MarketData({s: minute_bars(s, n, seed + k, 100.0 + 20 * k) for k, s in enumerate(symbols)}, "bars")


def tick_market(n: int = 1_000_000, symbol: str = "AAA", seed: int = 7) -> MarketData:
    """``n`` trade ticks, about 8 a second, of a random walk."""
    rng = np.random.default_rng(seed)
    price = np.round(100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.0002, n))), 2)
    ts = T0 + np.cumsum(rng.integers(1, 250_000, n)).astype(np.int64)
    size = (100 * rng.integers(1, 10, n)).astype(float)
    return MarketData({symbol: BarSeries.from_ticks(symbol, ts, price, size)}, "ticks")
