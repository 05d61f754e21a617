"""Reference data a broker answers: what a symbol is, an option chain, futures expiries, corporate actions.

Prices and strikes are ``Decimal``; dates are exchange dates (America/New_York for U.S. listings).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from theo.model.enums import InstrumentKind, SessionKind


@dataclass(frozen=True, slots=True)
class SymbolInfo:
    """One contract as the broker knows it (``validate_symbol``)."""

    symbol: str
    kind: InstrumentKind
    exchange: str
    primary_exchange: str
    currency: str
    con_id: int
    description: str
    min_tick: Decimal
    multiplier: Decimal
    expiry: date | None = None
    time_zone: str = ""


@dataclass(frozen=True, slots=True)
class OptionChain:
    """The listed expirations and strikes of one underlying's options.

    ``strikes`` is every strike listed for any expiration; ``by_expiry`` the strikes of the expirations
    whose contracts were looked up one by one (a weekly often lists fewer strikes than a monthly).
    """

    symbol: str
    exchange: str
    trading_class: str
    multiplier: Decimal
    expirations: tuple[date, ...]
    strikes: tuple[Decimal, ...]
    by_expiry: Mapping[date, tuple[Decimal, ...]] = field(default_factory=dict)

    def strikes_for(self, expiry: date | None = None) -> tuple[Decimal, ...]:
        """The strikes listed for ``expiry`` (all strikes when it was not looked up or is ``None``)."""
        if expiry is not None and expiry in self.by_expiry:
            return self.by_expiry[expiry]
        return self.strikes

    def expiration_on_or_after(self, day: date) -> date | None:
        """The first listed expiration on or after ``day``."""
        i = bisect_left(self.expirations, day)
        return self.expirations[i] if i < len(self.expirations) else None


@dataclass(frozen=True, slots=True)
class FutureExpiry:
    """One listed futures contract: its local symbol, last trading day and (when known) the roll day."""

    root: str
    local_symbol: str
    contract_month: str  # YYYYMM
    expiry: date
    multiplier: Decimal
    con_id: int
    roll_date: date | None = None


@dataclass(frozen=True, slots=True)
class CurrentPrice:
    """The price a trader would quote now, and which session it comes from (pre/post-market aware)."""

    symbol: str
    price: Decimal
    basis: str  # last | mid | close
    ts: datetime | None  # when that price traded (None when the broker did not say)
    session: SessionKind  # the session of ``ts`` (or of now, for a mid)
    market_session: SessionKind  # the session now
    delayed: bool = False


@dataclass(frozen=True, slots=True)
class CorporateAction:
    """A dividend or split of one symbol; ``ex_date`` is the exchange date it takes effect."""

    symbol: str
    kind: str  # dividend | split
    ex_date: date
    amount: Decimal | None = None  # cash per share (dividends)
    ratio: Decimal | None = None  # new shares per old share (splits: 2 for a 2-for-1)
    pay_date: date | None = None
    source: str = ""
    note: str = ""
