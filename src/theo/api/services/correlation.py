"""Correlation heatmap and rolling correlation of stored bar series: the maths of ``theo corr`` (log returns
of closes, aligned on common bar starts, the last ``window`` common points)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
from pydantic import BaseModel

from theo.api.services.charts import load_bars
from theo.api.services.context import Actor, Role, ServiceContext
from theo.api.services.errors import Invalid
from theo.api.services.query import choice, symbol_value
from theo.core.time import from_us
from theo.data.bars.timeframes import parse_timeframe
from theo.indicators.correlation import METHODS, correlation_matrix, rolling_pair

TIMEFRAMES = ("1m", "5m", "15m", "30m", "60m", "1d")
MAX_SYMBOLS = 30
MAX_WINDOW = 10_000
#: A pair whose last common bar lags the newest bar by more than this many bars is stale (``theo corr``'s
#: default ``--max-staleness``).
MAX_STALENESS_BARS = 5


class Matrix(BaseModel):
    """``values[i][j]``: the correlation of symbols i and j (null: too few common points, a constant series or a
    stale pair, as ``status[i][j]`` says); ``points[i][j]``: the common points it used; ``as_of``: the newest bar
    start of all series."""

    symbols: list[str]
    method: str
    window: int
    timeframe: str
    values: list[list[float | None]]
    points: list[list[int]]
    status: list[list[str]]
    as_of: datetime | None


class RollingPoint(BaseModel):
    t: int
    value: float | None


class Rolling(BaseModel):
    a: str
    b: str
    method: str
    window: int
    timeframe: str
    points: list[RollingPoint]


def _params(method: str, window: int, timeframe: str) -> tuple[str, str]:
    m = choice(method, METHODS, "method") or "pearson"
    if not 2 <= window <= MAX_WINDOW:
        raise Invalid(f"window={window} is out of range; give 2 to {MAX_WINDOW} points", field="window")
    tf = choice(timeframe, TIMEFRAMES, "timeframe") or "15m"
    return m, tf


def _series(ctx: ServiceContext, symbol: str, tf: str,
            start: datetime | None = None) -> tuple[np.ndarray, np.ndarray]:
    bars = load_bars(ctx, symbol, tf, start, None)
    return bars.start_us, bars.close


def matrix(ctx: ServiceContext, actor: Actor, *, symbols: str, method: str = "pearson", window: int = 100,
           timeframe: str = "15m") -> Matrix:
    """The correlation of every pair of ``symbols`` (comma-separated) over their last ``window`` common points."""
    actor.require(Role.VIEWER, "reading correlations")
    names = [symbol_value(s, "symbols") for s in symbols.split(",") if s.strip()]
    syms = list(dict.fromkeys(s for s in names if s))
    if not 2 <= len(syms) <= MAX_SYMBOLS:
        raise Invalid(f"symbols={symbols!r}: give 2 to {MAX_SYMBOLS} different symbols, e.g. SPY,QQQ",
                      field="symbols")
    m, tf = _params(method, window, timeframe)
    data = {s: _series(ctx, s, tf) for s in syms}
    stale_us = MAX_STALENESS_BARS * parse_timeframe(tf).length_us
    cm = correlation_matrix(data, m, window, "returns", None, stale_us)
    newest = max((int(ts[-1]) for ts, _ in data.values() if len(ts)), default=None)
    return Matrix(symbols=list(cm.symbols), method=m, window=window, timeframe=tf,
                  values=[[float(v) if np.isfinite(v) else None for v in row] for row in cm.values],
                  points=cm.n_points.tolist(), status=[[str(x) for x in row] for row in cm.status],
                  as_of=from_us(newest) if newest is not None else None)


def rolling(ctx: ServiceContext, actor: Actor, *, a: str, b: str, method: str = "pearson", window: int = 100,
            timeframe: str = "15m", limit: int = 1000) -> Rolling:
    """The rolling correlation of ``a`` and ``b`` at each common bar start (the last ``limit`` points)."""
    actor.require(Role.VIEWER, "reading correlations")
    sa, sb = symbol_value(a, "a"), symbol_value(b, "b")
    if sa is None:
        raise Invalid("a is required, e.g. a=SPY", field="a")
    if sb is None:
        raise Invalid("b is required, e.g. b=QQQ", field="b")
    if not 1 <= limit <= 10_000:
        raise Invalid(f"limit={limit} is out of range; give 1 to 10000", field="limit")
    m, tf = _params(method, window, timeframe)
    (ta, ca), (tb, cb) = _series(ctx, sa, tf), _series(ctx, sb, tf)
    ts, r = rolling_pair(ta, ca, tb, cb, window=window, method=m, min_points=min(30, window), on="returns")
    k = max(0, len(ts) - limit)
    return Rolling(a=sa, b=sb, method=m, window=window, timeframe=tf,
                   points=[RollingPoint(t=int(t // 1_000_000), value=float(v) if np.isfinite(v) else None)
                           for t, v in zip(ts[k:].tolist(), r[k:].tolist(), strict=True)])
