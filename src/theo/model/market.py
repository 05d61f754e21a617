"""Market data records: trade ticks, quotes and bars.

Market-data prices are floats (``ARCHITECTURE.md`` §5: indicator and correlation math is float/NumPy);
they become ``Decimal`` on the tick grid when they reach an order or a fill. Every timestamp is UTC and
timezone-aware; constructors refuse naive datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from theo.model.enums import SessionKind


def ensure_utc(ts: datetime, what: str = "timestamp") -> datetime:
    """Return ``ts`` in UTC; refuse a naive datetime (its timezone would be a guess)."""
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"{what} {ts.isoformat()} has no timezone; give an explicit UTC offset")
    return ts.astimezone(UTC)


def _utc_field(record: object, name: str, what: str) -> None:
    """Validate a timestamp field of a frozen record in place (cheap when it is already UTC)."""
    ts = getattr(record, name)
    if ts is None or ts.tzinfo is UTC:
        return
    object.__setattr__(record, name, ensure_utc(ts, f"{what}.{name}"))


@dataclass(frozen=True, slots=True)
class Tick:
    """One trade print.

    ``ts`` is the exchange timestamp, ``received`` the local arrival time (for latency monitoring),
    ``source`` the feed that delivered it (for fail-over audits). ``condition`` is the venue's sale
    condition code when the feed provides one. ``trade_id`` is the feed's own id of the print (trade id,
    sequence number, file line) when it has one: the quality gate uses it to tell a message delivered
    twice from two identical prints.
    """

    symbol: str
    ts: datetime
    price: float
    size: float
    source: str = ""
    exchange: str = ""
    condition: str = ""
    received: datetime | None = None
    trade_id: str = ""

    def __post_init__(self) -> None:
        _utc_field(self, "ts", f"Tick {self.symbol}")
        _utc_field(self, "received", f"Tick {self.symbol}")


@dataclass(frozen=True, slots=True)
class Quote:
    """Best bid and offer at ``ts``."""

    symbol: str
    ts: datetime
    bid: float
    bid_size: float
    ask: float
    ask_size: float
    source: str = ""
    received: datetime | None = None

    def __post_init__(self) -> None:
        _utc_field(self, "ts", f"Quote {self.symbol}")
        _utc_field(self, "received", f"Quote {self.symbol}")

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2.0


@dataclass(frozen=True, slots=True)
class Bar:
    """OHLCV bar labelled by its start; it covers ``[start, end)``.

    ``timeframe`` is a label such as ``"1m"``, ``"5m"``, ``"1h"`` or ``"1d"``. ``session`` says whether it
    is a pre-market, regular or post-market bar (they are never mixed). ``tick_count == 0`` marks a bar
    closed by the clock with no trades (its OHLC repeat the previous close).
    """

    symbol: str
    timeframe: str
    start: datetime
    end: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float
    tick_count: int = 0
    session: SessionKind = SessionKind.REGULAR
    source: str = ""
    flags: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        _utc_field(self, "start", f"Bar {self.symbol} {self.timeframe}")
        _utc_field(self, "end", f"Bar {self.symbol} {self.timeframe}")
        if self.end <= self.start:
            raise ValueError(f"Bar {self.symbol} {self.timeframe}: end {self.end.isoformat()} must be after start "
                             f"{self.start.isoformat()}")

    @property
    def empty(self) -> bool:
        return self.tick_count == 0 and "no_ticks" in self.flags
