"""All tables of Theo's schema; importing this package registers every model on ``Base.metadata``."""

from theo.storage.models import engine, futures, indicators, marketdata, orders, signals, trades
from theo.storage.models.base import Base
from theo.storage.models.core import (
    AuditLogRow,
    BarRow,
    InstrumentRow,
    QuarantineRow,
    SettingRow,
    TickRow,
)

__all__ = [
    "AuditLogRow",
    "BarRow",
    "Base",
    "InstrumentRow",
    "QuarantineRow",
    "SettingRow",
    "TickRow",
    "engine",
    "futures",
    "indicators",
    "marketdata",
    "orders",
    "signals",
    "trades",
]
