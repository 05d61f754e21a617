"""Executions, charges and the broker events (past tense) shared by every broker adapter."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from theo.model.enums import Side
from theo.model.money import ZERO

ChargesSource = Literal["model", "broker"]


@dataclass(frozen=True, slots=True)
class Charges:
    """The charge columns of one execution (market-rules.md §7.5), each in USD."""

    commission: Decimal = ZERO
    exchange_fee: Decimal = ZERO
    clearing_fee: Decimal = ZERO
    sec_fee: Decimal = ZERO
    finra_taf: Decimal = ZERO
    cat_fee: Decimal = ZERO
    orf: Decimal = ZERO
    occ_fee: Decimal = ZERO
    nfa_fee: Decimal = ZERO
    other_fee: Decimal = ZERO
    source: ChargesSource = "model"
    schedule_version: str = ""
    total: Decimal = field(init=False, default=ZERO, compare=False)  # the sum of the fields, computed once

    FIELDS = ("commission", "exchange_fee", "clearing_fee", "sec_fee", "finra_taf", "cat_fee", "orf",
              "occ_fee", "nfa_fee", "other_fee")

    def __post_init__(self) -> None:
        object.__setattr__(self, "total", self.commission + self.exchange_fee + self.clearing_fee + self.sec_fee
                           + self.finra_taf + self.cat_fee + self.orf + self.occ_fee + self.nfa_fee + self.other_fee)

    def as_dict(self) -> dict[str, str]:
        out = {f: str(getattr(self, f)) for f in self.FIELDS}
        out["source"] = self.source
        out["schedule_version"] = self.schedule_version
        return out

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Charges:
        values = {f: Decimal(data.get(f, "0")) for f in cls.FIELDS}
        source: ChargesSource = "broker" if data.get("source") == "broker" else "model"
        return cls(**values, source=source, schedule_version=data.get("schedule_version", ""))


@dataclass(frozen=True, slots=True)
class Execution:
    """One fill reported by a broker; ``exec_id`` is unique per broker and de-duplicates fills."""

    exec_id: str
    client_order_id: str
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    ts: datetime
    charges: Charges = field(default_factory=Charges)

    def as_dict(self) -> dict[str, object]:
        return {"exec_id": self.exec_id, "client_order_id": self.client_order_id, "symbol": self.symbol,
                "side": self.side.value, "quantity": str(self.quantity), "price": str(self.price),
                "ts": self.ts.isoformat(), "charges": self.charges.as_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Execution:
        charges = data.get("charges")
        return cls(exec_id=str(data["exec_id"]), client_order_id=str(data["client_order_id"]),
                   symbol=str(data["symbol"]), side=Side(str(data["side"])),
                   quantity=Decimal(str(data["quantity"])), price=Decimal(str(data["price"])),
                   ts=datetime.fromisoformat(str(data["ts"])),
                   charges=Charges.from_dict(charges) if isinstance(charges, dict) else Charges())


@dataclass(frozen=True, slots=True)
class BrokerEvent:
    """Base of every event a broker reports about one of our orders."""

    client_order_id: str
    ts: datetime


@dataclass(frozen=True, slots=True)
class OrderAccepted(BrokerEvent):
    """The broker is working the order; ``broker_order_id``/``perm_id`` are its own ids for it."""

    broker_order_id: str = ""
    perm_id: str = ""


@dataclass(frozen=True, slots=True)
class OrderRejected(BrokerEvent):
    reason: str = ""


@dataclass(frozen=True, slots=True)
class OrderPartiallyFilled(BrokerEvent):
    execution: Execution | None = None


@dataclass(frozen=True, slots=True)
class OrderFilled(BrokerEvent):
    execution: Execution | None = None


@dataclass(frozen=True, slots=True)
class OrderCancelled(BrokerEvent):
    reason: str = ""


@dataclass(frozen=True, slots=True)
class OrderExpired(BrokerEvent):
    reason: str = ""


@dataclass(frozen=True, slots=True)
class OrderModified(BrokerEvent):
    """The broker accepted a modification; ``None`` fields were not changed."""

    quantity: Decimal | None = None
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    revision: int = 0  # the broker's count of changes to this order: an older revision is stale
