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


def session_minutes(n: int, first_day: str = "2026-11-23", calendar: str = "XNYS") -> np.ndarray:
    """The starts (UTC µs) of the first ``n`` regular-session minutes from ``first_day`` on (real NYSE days:
    holidays skipped, early closes short)."""
    from datetime import date

    from theo.core.calendar import get_calendar
    from theo.core.time import to_us

    cal = get_calendar(calendar)
    day = date.fromisoformat(first_day)
    out: list[int] = []
    while len(out) < n:
        if cal.is_session(day):
            s = cal.session(day)
            assert s is not None
            out.extend(range(to_us(s.open), to_us(s.close), MIN))
        day = date.fromordinal(day.toordinal() + 1)
    return np.array(out[:n], dtype=np.int64)


def session_walk(n: int, seed: int, symbol: str = "AAA", start: float = 100.0, vol: float = 0.0015,
                 first_day: str = "2026-11-23") -> BarSeries:
    """A seeded random walk of 1-minute bars on NYSE regular-session minutes, prices on the cent."""
    rng = np.random.default_rng(seed)
    close = np.round(start * np.exp(np.cumsum(rng.normal(0, vol, n))), 2)
    open_ = np.round(np.concatenate(([start], close[:-1])) + rng.normal(0, vol / 4, n) * close, 2)
    spread = np.round(np.abs(rng.normal(0, vol / 2, (2, n))) * close, 2)
    high = np.round(np.maximum(open_, close) + spread[0], 2)
    low = np.round(np.minimum(open_, close) - spread[1], 2)
    ts = session_minutes(n, first_day)
    return BarSeries(symbol, "1m", ts, ts + MIN, open_, high, low, close, np.full(n, 1000.0))
