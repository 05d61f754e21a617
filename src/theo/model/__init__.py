"""The shared types every layer uses: instruments, market data, enums, money, orders, trades."""

from theo.model.enums import (
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
from theo.model.instruments import Instrument, equity, index
from theo.model.market import Bar, Quote, Tick, ensure_utc

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
