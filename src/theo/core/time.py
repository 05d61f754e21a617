"""Time helpers: the one set of converters between aware UTC datetimes and integer epoch micro/nanoseconds.

Integer microseconds are exact (no float rounding) and cheap to compare, so the hot paths (bars, gates, the
backtest driver) and the SQLite store use them; everything a user reads is an aware datetime.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US_PER_S = 1_000_000


def to_us(ts: datetime) -> int:
    """Integer microseconds since the epoch of an aware datetime (exact integer arithmetic)."""
    delta = ts - EPOCH
    return (delta.days * 86_400 + delta.seconds) * US_PER_S + delta.microseconds


def from_us(us: int) -> datetime:
    """The aware UTC datetime of integer microseconds since the epoch (exact)."""
    return EPOCH + timedelta(microseconds=int(us))


def to_ns(ts: datetime) -> int:
    """Integer nanoseconds since the epoch (IBKR and Polygon stamp prints in ns; a datetime holds µs)."""
    return to_us(ts) * 1000


def from_ns(ns: int) -> datetime:
    """The aware UTC datetime of integer nanoseconds since the epoch, truncated to the microsecond."""
    return from_us(int(ns) // 1000)
