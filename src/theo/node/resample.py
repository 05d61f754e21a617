"""Bars of a coarser timeframe from bars or ticks, in batch (NumPy) and streaming form, with one rule.

A bar of timeframe ``N m``/``N h`` covers ``[k·N, (k+1)·N)`` in epoch time (so 5-minute bars start at
09:30, 09:35, … and hourly bars at the clock hour, like the Lean files); a daily bar covers one New York
calendar date. A bar closes when time reaches its end, so its signals are stamped with that end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from theo.core.errors import ConfigError
from theo.model.market import Bar
from theo.model.series import I64, BarSeries, et_days, from_us, to_us

ET = ZoneInfo("America/New_York")
_TF = re.compile(r"^([1-9][0-9]*)(s|m|h|d)$")
_UNIT_US = {"s": 1_000_000, "m": 60_000_000, "h": 3_600_000_000, "d": 86_400_000_000}


def timeframe_us(tf: str) -> int:
    """Length of a timeframe label (``1m``, ``15m``, ``1h``, ``1d``) in microseconds (0 for ``tick``)."""
    if tf == "tick":
        return 0
    m = _TF.match(tf)
    if m is None:
        raise ConfigError(f"timeframe {tf!r} is not valid; write N followed by s, m, h or d (e.g. 5m)")
    return int(m.group(1)) * _UNIT_US[m.group(2)]


def _daily(tf: str) -> bool:
    return tf.endswith("d")


def bucket_bounds(start_us: I64, tf: str) -> tuple[I64, I64]:
    """Start and end (µs) of the ``tf`` bucket holding each timestamp."""
    if _daily(tf):
        day, bounds = et_days(start_us)  # bounds has one day past the last, so day + 1 is always inside
        n = int(tf[:-1])
        return bounds[day], (bounds[day + 1] if n == 1 else _days_later(bounds[day], n))
    width = timeframe_us(tf)
    lo = (start_us // width) * width
    return lo, lo + width


def _days_later(start: I64, n: int) -> I64:
    out = np.empty_like(start)
    for k, v in enumerate(start.tolist()):
        d = from_us(v).astimezone(ET).date() + timedelta(days=n)
        out[k] = to_us(datetime(d.year, d.month, d.day, tzinfo=ET))
    return out


def bucket_of(ts_us: int, tf: str) -> tuple[int, int]:
    """Scalar form of :func:`bucket_bounds` (streaming path); gives the same numbers."""
    if _daily(tf):
        local = from_us(ts_us).astimezone(ET).date()
        nxt = local + timedelta(days=int(tf[:-1]))
        day = datetime(local.year, local.month, local.day, tzinfo=ET)
        return to_us(day), to_us(datetime(nxt.year, nxt.month, nxt.day, tzinfo=ET))
    width = timeframe_us(tf)
    lo = (ts_us // width) * width
    return lo, lo + width


def check_resample(source_tf: str, target_tf: str, what: str) -> None:
    """Refuse a target timeframe finer than the data (or not a multiple of it)."""
    src, dst = timeframe_us(source_tf), timeframe_us(target_tf)
    if src and (dst < src or (not _daily(target_tf) and dst % src)):
        raise ConfigError(f"{what}: timeframe {target_tf} cannot be built from {source_tf} data; use a multiple "
                          f"of {source_tf} or finer data")


def resample(series: BarSeries, tf: str) -> BarSeries:
    """Aggregate ``series`` into ``tf`` bars (identity when it already has that timeframe)."""
    if series.timeframe == tf:
        return series
    check_resample(series.timeframe, tf, series.symbol)
    if len(series) == 0:
        return BarSeries(series.symbol, tf, series.start_us, series.end_us, series.open, series.high, series.low,
                         series.close, series.volume)
    lo, hi = bucket_bounds(series.start_us, tf)
    first = np.flatnonzero(np.concatenate(([True], lo[1:] != lo[:-1])))
    last = np.concatenate((first[1:], [len(series)])) - 1
    return BarSeries(series.symbol, tf, lo[first], hi[first], series.open[first],
                     np.maximum.reduceat(series.high, first), np.minimum.reduceat(series.low, first),
                     series.close[last], np.add.reduceat(series.volume, first))


@dataclass
class Roller:
    """Streaming resampler of one symbol into one timeframe."""

    symbol: str
    timeframe: str
    start: int = -1
    end: int = -1
    open: float = 0.0
    high: float = 0.0
    low: float = 0.0
    close: float = 0.0
    volume: float = 0.0

    def add(self, ts_us: int, o: float, h: float, lo: float, c: float, v: float) -> Bar | None:
        """Add one item; return the previous bar if this item starts a new bucket."""
        done = None
        if self.start < 0 or ts_us >= self.end:
            done = self.flush()
            self.start, self.end = bucket_of(ts_us, self.timeframe)
            self.open, self.high, self.low, self.close, self.volume = o, h, lo, c, v
            return done
        self.high = max(self.high, h)
        self.low = min(self.low, lo)
        self.close = c
        self.volume += v
        return done

    def due(self, now_us: int) -> Bar | None:
        """The open bar if time has reached its end (it is then closed)."""
        if self.start >= 0 and now_us >= self.end:
            return self.flush()
        return None

    def flush(self) -> Bar | None:
        if self.start < 0:
            return None
        bar = Bar(symbol=self.symbol, timeframe=self.timeframe, start=from_us(self.start), end=from_us(self.end),
                  open=self.open, high=self.high, low=self.low, close=self.close, volume=self.volume,
                  source="engine")
        self.start = self.end = -1
        return bar
