"""Time helpers: the one set of converters between aware UTC datetimes and integer epoch micro/nanoseconds.

Integer microseconds are exact (no float rounding) and cheap to compare, so the hot paths (bars, gates, the
backtest driver) and the SQLite store use them; everything a user reads is an aware datetime.

Files and the API keep UTC (ISO 8601); what a trader reads on a terminal is exchange time, formatted by
:func:`exchange_time` only, so every command shows it the same way: ``2026-12-04 09:31:05 EST``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EXCHANGE_ZONE = ZoneInfo("America/New_York")
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


def exchange_time(ts: datetime | str | None, *, date: bool = True, empty: str = "-") -> str:
    """``ts`` in New York time to the second with its zone named (``2026-12-04 09:31:05 EST``; EDT in summer).

    ``date=False`` drops the date (``09:31:05 EST``). An ISO string (as stored in JSON counters) is parsed;
    ``None`` or ``""`` gives ``empty``. A naive datetime is taken as UTC, as Theo stores every instant.
    """
    if ts is None or ts == "":
        return empty
    if isinstance(ts, str):
        ts = datetime.fromisoformat(ts)
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(EXCHANGE_ZONE).strftime("%Y-%m-%d %H:%M:%S %Z" if date else "%H:%M:%S %Z")
