"""The domain model: instruments, market data, enumerations and money helpers."""

from theo.domain.enums import (
    Allocation,
    Exchange,
    InstrumentKind,
    OptionRight,
    OrderStatus,
    OrderType,
    ProductType,
    Routing,
    SessionKind,
    Side,
    SignalStatus,
    TimeInForce,
)
from theo.domain.instruments import Instrument, equity, index
from theo.domain.market import Bar, Quote, Tick, ensure_utc

__all__ = [
    "Allocation",
    "Bar",
    "Exchange",
    "Instrument",
    "InstrumentKind",
    "OptionRight",
    "OrderStatus",
    "OrderType",
    "ProductType",
    "Quote",
    "Routing",
    "SessionKind",
    "Side",
    "SignalStatus",
    "Tick",
    "TimeInForce",
    "ensure_utc",
    "equity",
    "index",
]
