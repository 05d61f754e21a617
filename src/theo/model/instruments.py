"""Instruments: what can be quoted and (except indexes) ordered."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from theo.model.enums import Exchange, InstrumentKind, OptionRight
from theo.model.money import is_on_tick

#: Calendar names understood by ``theo.core.calendar``.
NYSE_CALENDAR = "XNYS"
CME_EQUITY_CALENDAR = "CME_EQUITY"


@dataclass(frozen=True, slots=True)
class Instrument:
    """An instrument with everything needed to validate prices and quantities.

    ``tick_size`` is the minimum price increment, ``multiplier`` converts a price move into money per
    unit (1 for stocks, 100 for equity options, 5 for MES) and ``contract_size`` is the quantity step an
    order must respect (1 share; 1 contract).
    """

    symbol: str
    kind: InstrumentKind
    exchange: Exchange = Exchange.SMART
    currency: str = "USD"
    tick_size: Decimal = Decimal("0.01")
    multiplier: Decimal = Decimal(1)
    contract_size: int = 1
    calendar: str = NYSE_CALENDAR
    expiry: date | None = None
    underlying: str | None = None
    strike: Decimal | None = None
    right: OptionRight | None = None
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.symbol or not self.symbol.strip():
            raise ValueError("instrument symbol must not be empty")
        if self.tick_size <= 0:
            raise ValueError(f"{self.symbol}: tick_size={self.tick_size} must be > 0")
        if self.multiplier <= 0:
            raise ValueError(f"{self.symbol}: multiplier={self.multiplier} must be > 0")
        if self.contract_size < 1:
            raise ValueError(f"{self.symbol}: contract_size={self.contract_size} must be >= 1")
        if self.kind is InstrumentKind.OPTION and (self.strike is None or self.right is None):
            raise ValueError(f"{self.symbol}: an option needs a strike and a right (CALL/PUT)")
        if self.kind in (InstrumentKind.FUTURE, InstrumentKind.OPTION) and self.expiry is None:
            raise ValueError(f"{self.symbol}: a {self.kind.value.lower()} needs an expiry date")

    @property
    def tradable(self) -> bool:
        """Indexes are data only (market-rules.md §5.2): no order may be placed on them."""
        return self.kind is not InstrumentKind.INDEX

    def price_on_tick(self, price: Decimal) -> bool:
        return is_on_tick(price, self.tick_size)

    def quantity_on_lot(self, quantity: Decimal) -> bool:
        return quantity > 0 and quantity % self.contract_size == 0


def equity(symbol: str, *, kind: InstrumentKind = InstrumentKind.STOCK,
           exchange: Exchange = Exchange.SMART) -> Instrument:
    """A U.S. stock or ETF: $0.01 tick, multiplier 1, 1-share lots, NYSE calendar."""
    return Instrument(symbol=symbol, kind=kind, exchange=exchange)


def index(symbol: str, exchange: Exchange = Exchange.CBOE) -> Instrument:
    """A data-only index such as VIX."""
    return Instrument(symbol=symbol, kind=InstrumentKind.INDEX, exchange=exchange)
