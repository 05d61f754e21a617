"""A rejected or quarantined tick with a reason a user can read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from theo.model.market import Tick

if TYPE_CHECKING:
    from theo.data.quarantine import QuarantineItem

# Reason codes, counted per reason by the gate and the aggregator.
BAD_PRICE = "bad_price"
BAD_SIZE = "bad_size"
CLOCK_SKEW = "clock_skew"
OUTSIDE_SESSION = "outside_session"
DUPLICATE = "duplicate"
OUT_OF_ORDER = "out_of_order"
LATE = "late"
SUSPICIOUS = "suspicious"
# Flags: the tick passes, but is marked.
OUTLIER = "outlier"
SETTLEMENT_MISMATCH = "settlement_mismatch"


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why ``tick`` was not used; ``stage`` says who refused it (gate, aggregator, replay)."""

    tick: Tick
    reason: str
    detail: str
    stage: str = "gate"

    def to_quarantine_item(self) -> QuarantineItem:
        """The ``quarantine`` table row of this rejection."""
        from theo.data.quarantine import QuarantineItem

        t = self.tick
        return QuarantineItem("tick", t.source or self.stage, self.reason, t.symbol, None, None,
                              f"{t.price!r} x {t.size!r}", self.detail, t.ts,
                              f"{t.ts.isoformat()},{t.price!r},{t.size!r},{t.exchange},{t.condition}")


@dataclass(frozen=True, slots=True)
class Flag:
    """A tick that passed but looks wrong (outlier) or a settlement that disagrees with the last trade."""

    symbol: str
    ts: datetime
    reason: str
    detail: str
    value: float
