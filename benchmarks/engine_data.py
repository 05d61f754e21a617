"""Seeded synthetic market data for the engine benchmarks (shared by bench_engine and the peer comparison).

Timestamps are real NYSE regular-session instants (``XNYS`` sessions from FIRST_SESSION on, early closes
included, holidays and weekends skipped): a bar per session minute ``[start, start + 1 min)``, and trade ticks
strictly inside sessions. Prices are on the cent. :func:`export_npz` writes the same arrays for the peers,
which read them in their own virtualenv (no Theo import there).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np

from theo.core.calendar import get_calendar
from theo.core.time import to_us
from theo.model.series import BarSeries
from theo.node.data import MarketData

FIRST_SESSION = date(2019, 1, 2)
MIN = 60_000_000
#: the arrays of one symbol in the ``.npz`` file (ticks: start_us = end_us = trade time, close = price)
FIELDS = ("start_us", "end_us", "open", "high", "low", "close", "volume")


def session_clock(offsets_us: np.ndarray) -> np.ndarray:
    """UTC µs of instants given as µs of regular trading time since the first session's open.

    Trading time runs only while NYSE is in its regular session, so every result lies in some session's
    ``[open, close)``; offsets must be non-negative and sorted.
    """
    last = int(offsets_us[-1]) if len(offsets_us) else 0
    days = int(last / (390 * MIN) * 1.6) + 30  # calendar days enough for the sessions, weekends, holidays
    sessions = get_calendar("XNYS").sessions_in_range(FIRST_SESSION, FIRST_SESSION + timedelta(days=days))
    opens = np.array([to_us(s.open) for s in sessions], dtype=np.int64)
    lengths = np.array([to_us(s.close) - to_us(s.open) for s in sessions], dtype=np.int64)
    begins = np.concatenate(([0], np.cumsum(lengths)[:-1]))  # trading time at each session's open
    if last >= int(begins[-1] + lengths[-1]):
        raise ValueError("session_clock: the calendar range is too short for these offsets")
    idx = np.searchsorted(begins, offsets_us, side="right") - 1
    return opens[idx] + (offsets_us - begins[idx])


def minute_bars(symbol: str, n: int, seed: int, start: float = 100.0) -> BarSeries:
    """``n`` one-minute bars (one per NYSE session minute) of a random walk with realistic ranges."""
    rng = np.random.default_rng(seed)
    close = np.round(start * np.exp(np.cumsum(rng.normal(0.0, 0.0008, n))), 2)
    open_ = np.concatenate(([start], close[:-1]))
    wick = np.round(np.abs(rng.normal(0.0, 0.0004, (2, n))) * close, 2)
    # Round to the cent after the arithmetic so every engine sees the same doubles (97.46, not 97.46000000000001).
    high = np.round(np.maximum(open_, close) + wick[0], 2)
    low = np.round(np.minimum(open_, close) - wick[1], 2)
    ts = session_clock(np.arange(n, dtype=np.int64) * MIN)
    return BarSeries(symbol, "1m", ts, ts + MIN, open_, high, low, close, rng.integers(100, 10_000, n).astype(float))


def bar_market(n: int = 500_000, symbols: tuple[str, ...] = ("AAA", "BBB"), seed: int = 42) -> MarketData:
    return MarketData({s: minute_bars(s, n, seed + k, 100.0 + 20 * k) for k, s in enumerate(symbols)}, "bars")


def tick_market(n: int = 1_000_000, symbol: str = "AAA", seed: int = 7) -> MarketData:
    """``n`` trade ticks, about 8 a second of regular session (so about 5 sessions a million), random walk."""
    rng = np.random.default_rng(seed)
    price = np.round(100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.0002, n))), 2)
    ts = session_clock(np.cumsum(rng.integers(1, 250_000, n)).astype(np.int64))
    size = (100 * rng.integers(1, 10, n)).astype(float)
    return MarketData({symbol: BarSeries.from_ticks(symbol, ts, price, size)}, "ticks")


def export_npz(data: MarketData, path: Path) -> None:
    """Write ``data`` as ``symbols``, ``kind`` and ``<symbol>_<field>`` arrays (see FIELDS)."""
    arrays: dict[str, np.ndarray] = {"symbols": np.array(data.symbols), "kind": np.array(data.kind)}
    for s, v in data.series.items():
        for k in FIELDS:
            arrays[f"{s}_{k}"] = getattr(v, k)
    np.savez(path, **arrays)


def load_npz(path: Path) -> MarketData:
    """The :class:`MarketData` that :func:`export_npz` wrote (Theo's side of the peer comparison)."""
    with np.load(path) as z:
        kind = str(z["kind"])
        timeframe = "tick" if kind == "ticks" else "1m"
        series = {s: BarSeries(s, timeframe, *(z[f"{s}_{k}"] for k in FIELDS)) for s in z["symbols"].tolist()}
    return MarketData(series, kind)
