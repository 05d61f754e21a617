"""The SignalGeneration record and its rules (plan §4), checked with readable errors.

The same rules are CHECK constraints of the ``signals`` table (``theo.persistence.models.signals``); checking
here first turns a violation into a message that names the field, the value and the rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from theo.core.calendar import ET
from theo.core.errors import OrderValidationError
from theo.model.enums import Exchange, OrderType, ProductType, Side, SignalStatus
from theo.model.signals import InputValue

MODES = ("live", "virtual")


@dataclass(frozen=True, slots=True)
class SignalRecord:
    """A signal as persisted: money fields are ``Decimal``, timestamps UTC-aware."""

    strategy: str
    symbol: str
    side: Side
    created_at: datetime
    bar_ts: datetime
    timeframe: str
    quantity: int
    contract_size: int = 1
    exchange: Exchange = Exchange.SMART
    order_type: OrderType = OrderType.MARKET
    product_type: ProductType = ProductType.MARGIN
    entry_price: Decimal | None = None
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None
    is_exit: bool = False
    option_right: str | None = None
    option_strike: Decimal | None = None
    option_expiry: date | None = None
    status: SignalStatus = SignalStatus.PENDING
    is_active: bool = True
    expires_at: datetime | None = None
    reason: str = ""
    inputs: Mapping[str, InputValue] = field(default_factory=dict)
    mode: str = "virtual"
    scanner: str = ""
    user: str = "default"

    @property
    def key(self) -> tuple[str, str, str, datetime]:
        """Duplicate-suppression key: same strategy, symbol, side and bar."""
        return (self.strategy, self.symbol, self.side.value, self.bar_ts)


def validate_record(r: SignalRecord) -> SignalRecord:
    """Check plan §4's rules; raise :class:`OrderValidationError` naming the field, value and rule."""
    who = f"signal {r.strategy}/{r.symbol} {r.side.value} at {r.bar_ts.isoformat()}"

    def fail(message: str) -> OrderValidationError:
        return OrderValidationError(f"{who}: {message}")

    for name in ("created_at", "bar_ts", "expires_at"):
        ts = getattr(r, name)
        if ts is not None and (ts.tzinfo is None or ts.utcoffset() is None):
            raise fail(f"{name} {ts.isoformat()} has no timezone; timestamps must be UTC-aware")
    if r.contract_size <= 0:
        raise fail(f"contract_size {r.contract_size} must be positive")
    if r.quantity <= 0:
        raise fail(f"quantity {r.quantity} must be positive")
    if r.quantity % r.contract_size:
        raise fail(f"quantity {r.quantity} must be a multiple of the contract size {r.contract_size}")
    for name in ("entry_price", "stop_loss", "take_profit", "option_strike"):
        value = getattr(r, name)
        if value is not None and (not value.is_finite() or value <= 0):
            raise fail(f"{name} {value} must be a positive number")
    if r.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT) and r.entry_price is None:
        raise fail(f"entry_price is required for {r.order_type.value} orders")
    if r.entry_price is not None:
        below = r.side is Side.BUY
        if r.stop_loss is not None and (r.stop_loss >= r.entry_price if below else r.stop_loss <= r.entry_price):
            where = "below" if below else "above"
            raise fail(f"stop_loss {r.stop_loss} must be {where} entry_price {r.entry_price} for {r.side.value}")
        if r.take_profit is not None and (r.take_profit <= r.entry_price if below else r.take_profit >= r.entry_price):
            where = "above" if below else "below"
            raise fail(f"take_profit {r.take_profit} must be {where} entry_price {r.entry_price} for {r.side.value}")
    if r.option_expiry is not None and r.option_expiry < r.created_at.astimezone(ET).date():
        raise fail(f"option_expiry {r.option_expiry} is before the signal's day "
                   f"{r.created_at.astimezone(ET).date()}; that option series has expired")
    if r.mode not in MODES:
        raise fail(f"mode {r.mode!r} must be one of {', '.join(MODES)}")
    if r.expires_at is not None and r.expires_at < r.created_at:
        raise fail(f"expires_at {r.expires_at.isoformat()} is before created_at {r.created_at.isoformat()}")
    return r
