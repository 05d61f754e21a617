"""Reference data a broker answers: what a symbol is, an option chain, futures expiries, corporate actions.

Prices and strikes are ``Decimal``; dates are exchange dates (America/New_York for U.S. listings).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

from theo.core.errors import DataError
from theo.model.enums import CorporateActionKind, InstrumentKind, SessionKind


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
    """A split, reverse split, cash or stock dividend, or symbol change of one symbol.

    ``ex_date`` is the first exchange date on the new basis: bars before it are the ones an adjustment
    rescales. Construction refuses figures that contradict the kind, so a stored action is always usable.
    """

    symbol: str
    kind: CorporateActionKind
    ex_date: date
    amount: Decimal | None = None  # cash per share (cash dividends)
    ratio: Decimal | None = None  # splits: new shares per old share; stock dividends: extra shares per share
    pay_date: date | None = None
    source: str = ""
    note: str = ""
    new_symbol: str | None = None  # symbol changes: the ticker from ex_date on

    def __post_init__(self) -> None:
        kind = CorporateActionKind(self.kind)  # a plain string from a row or a caller becomes the enum
        object.__setattr__(self, "kind", kind)
        what = f"{kind.value} of {self.symbol} on {self.ex_date}"
        if kind in (CorporateActionKind.SPLIT, CorporateActionKind.REVERSE_SPLIT, CorporateActionKind.STOCK_DIVIDEND):
            if self.ratio is None or not self.ratio.is_finite() or self.ratio <= 0:
                raise DataError(f"{what}: ratio must be a positive number, got {self.ratio}")
            if kind is CorporateActionKind.SPLIT and self.ratio <= 1:
                raise DataError(f"{what}: a split gives more shares (ratio > 1, e.g. 2 for 2-for-1), got "
                                 f"{self.ratio}; a ratio below 1 is a reverse_split")
            if kind is CorporateActionKind.REVERSE_SPLIT and self.ratio >= 1:
                raise DataError(f"{what}: a reverse split gives fewer shares (ratio < 1, e.g. 0.25 for "
                                 f"1-for-4), got {self.ratio}")
        if kind is CorporateActionKind.CASH_DIVIDEND and (
                self.amount is None or not self.amount.is_finite() or self.amount <= 0):
            raise DataError(f"{what}: amount must be the cash per share (> 0), got {self.amount}")
        if kind is CorporateActionKind.SYMBOL_CHANGE and not self.new_symbol:
            raise DataError(f"{what}: new_symbol is required")

    @property
    def figure(self) -> str:
        """The action's figure as a trader writes it: ``7:1`` (new:old shares), ``0.47 USD/share``, ``-> META``."""
        if self.kind is CorporateActionKind.CASH_DIVIDEND:
            assert self.amount is not None
            return f"{self.amount.normalize():f} USD/share"
        if self.kind is CorporateActionKind.SYMBOL_CHANGE:
            return f"-> {self.new_symbol}"
        assert self.ratio is not None
        if self.kind is CorporateActionKind.STOCK_DIVIDEND:
            return f"{self.ratio.normalize():f} extra per share"
        r = Fraction(self.ratio).limit_denominator(1000)
        return f"{r.numerator}:{r.denominator}"

    @property
    def changes_prices(self) -> bool:
        """Whether the action moves the price basis (splits, stock and cash dividends)."""
        return self.kind is not CorporateActionKind.SYMBOL_CHANGE
