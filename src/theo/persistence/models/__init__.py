"""All tables of Theo's schema; importing this package registers every model on ``Base.metadata``."""

from theo.persistence.models import (
    corporate,
    engine,
    futures,
    indicators,
    marketdata,
    notify,
    orders,
    signals,
    trades,
    web,
)
from theo.persistence.models.base import Base
from theo.persistence.models.core import (
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
    "corporate",
    "engine",
    "futures",
    "indicators",
    "marketdata",
    "notify",
    "orders",
    "signals",
    "trades",
    "web",
]
