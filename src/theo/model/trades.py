"""The trade: one entry with its exits, its levels and its P&L (plan §5–§7).

Money is Decimal; the levels are mirrored as floats (``stop_f``, ``target_f`` ...) so the per-tick check is
a float comparison. P&L uses the average-cost method: an exit realises ``qty x (exit - avg entry)``; the
open remainder is marked to market; charges are kept apart (net = gross - charges, market-rules.md §7.5).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from theo.model.enums import Side
from theo.model.money import ZERO


class TradeStatus(StrEnum):
    """Plan §6 trade status."""

    WAITING = "Waiting"  # entry order accepted, nothing filled yet
    RUNNING = "Running"
    CLOSED = "Closed"


class ExitReason(StrEnum):
    """How a trade (or part of it) was closed: the deals report's comment."""

    STOP_LOSS = "stop_loss"
    PROFIT_TARGET = "profit_target"
    TRAILING_STOP = "trailing_stop"
    RISK_REDUCTION = "risk_reduction"
    EXIT_RULE = "exit_rule"
    TIME_EXIT = "time_exit"
    MANUAL = "manual"
    KILL_SWITCH = "kill_switch"
    NOT_FILLED = "entry_not_filled"


#: Order tag (execution.orders.TAGS) of the exit order for each reason.
EXIT_TAGS = {ExitReason.STOP_LOSS: "stop_loss", ExitReason.TRAILING_STOP: "stop_loss",
             ExitReason.PROFIT_TARGET: "take_profit", ExitReason.RISK_REDUCTION: "risk_reduction",
             ExitReason.EXIT_RULE: "exit_rule", ExitReason.TIME_EXIT: "time_exit", ExitReason.MANUAL: "manual",
             ExitReason.KILL_SWITCH: "kill_switch"}

COMMENTS = {ExitReason.STOP_LOSS: "Stop-loss", ExitReason.PROFIT_TARGET: "Profit target",
            ExitReason.TRAILING_STOP: "Trailing stop", ExitReason.RISK_REDUCTION: "Risk reduction",
            ExitReason.EXIT_RULE: "Exit rule", ExitReason.TIME_EXIT: "Time exit", ExitReason.MANUAL: "Manual",
            ExitReason.KILL_SWITCH: "Kill switch", ExitReason.NOT_FILLED: "Entry not filled"}

INF = float("inf")


@dataclass(eq=False)
class Trade:
    """A trade and its running state; the manager mutates it, the store mirrors it."""

    strategy: str
    symbol: str
    side: Side
    planned_qty: Decimal
    entry_order_id: str
    multiplier: Decimal = Decimal(1)
    stop: Decimal | None = None
    target: Decimal | None = None
    trailing_pct: Decimal | None = None
    risk_per_unit: Decimal = ZERO
    ss_type: str = ""
    signal_id: int | None = None
    account: str = ""
    id: int | None = None
    status: TradeStatus = TradeStatus.WAITING
    entry_qty: Decimal = ZERO
    entry_price: Decimal | None = None  # average of the entry fills
    exit_qty: Decimal = ZERO
    exit_value: Decimal = ZERO  # sum of qty x price of the exit fills
    entry_value: Decimal = ZERO  # sum of qty x price of the entry fills
    cost_open: Decimal = ZERO  # cost basis (qty x price) of the open quantity
    realised: Decimal = ZERO
    charges: Decimal = ZERO
    initial_stop: Decimal | None = None
    exit_reason: ExitReason | None = None
    comments: list[str] = field(default_factory=list)
    entry_ts: datetime | None = None
    exit_ts: datetime | None = None
    created_at: datetime | None = None
    rr_done: bool = False
    stop_kind: ExitReason = ExitReason.STOP_LOSS
    pending_exit: str | None = None  # client order id of the working exit
    pending_reason: ExitReason | None = None
    exit_orders: dict[str, ExitReason] = field(default_factory=dict)
    seen_execs: set[str] = field(default_factory=set)
    events: list[tuple[datetime, Decimal, Decimal]] = field(default_factory=list)  # (ts, realised, charges)
    extreme: float = 0.0  # best price since entry (trailing stop)
    last: float | None = None
    # float mirrors for the tick path
    stop_f: float = -INF
    target_f: float = INF
    rr_f: float | None = None

    def __post_init__(self) -> None:
        if self.entry_price is not None and not self.entry_value:  # loaded from the store
            self.entry_value = self.entry_price * self.entry_qty
            self.cost_open = self.entry_price * self.open_qty
        if self.initial_stop is None:
            self.initial_stop = self.stop
        self.refresh_levels()

    # -- derived ----------------------------------------------------------------------------------------
    @property
    def open_qty(self) -> Decimal:
        return self.entry_qty - self.exit_qty

    @property
    def exit_price(self) -> Decimal | None:
        return self.exit_value / self.exit_qty if self.exit_qty else None

    @property
    def is_open(self) -> bool:
        return self.status is not TradeStatus.CLOSED

    @property
    def risk(self) -> Decimal:
        """USD lost if the open quantity exits at the current stop (0 once the stop locks in a profit)."""
        if self.status is TradeStatus.CLOSED:
            return ZERO
        if self.entry_price is None or self.stop is None:
            return max(self.planned_qty - self.exit_qty, ZERO) * self.risk_per_unit
        loss = (self.entry_price - self.stop) * self.side.sign * self.multiplier
        return max(loss, ZERO) * self.open_qty

    def unrealised(self, mark: Decimal | None) -> Decimal:
        if mark is None or self.entry_price is None or not self.open_qty:
            return ZERO
        return (mark * self.open_qty - self.cost_open) * self.side.sign * self.multiplier

    def net(self, mark: Decimal | None = None) -> Decimal:
        return self.realised + self.unrealised(mark) - self.charges

    # -- updates ------------------------------------------------------------------------------------------
    def refresh_levels(self) -> None:
        """Recompute the float mirrors after a level changed."""
        long = self.side is Side.BUY
        if self.stop is None:
            self.stop_f = -INF if long else INF
        else:
            self.stop_f = float(self.stop)
        if self.target is None:
            self.target_f = INF if long else -INF
        else:
            self.target_f = float(self.target)

    def add_entry_fill(self, qty: Decimal, price: Decimal, charges: Decimal, ts: datetime) -> None:
        total = self.entry_qty + qty
        self.entry_value += price * qty
        self.cost_open += price * qty
        self.entry_price = self.entry_value / total
        self.entry_qty = total
        self.charges += charges
        self.events.append((ts, ZERO, charges))
        if self.entry_ts is None:
            self.entry_ts = ts
            self.extreme = float(price)
        if self.status is TradeStatus.WAITING:
            self.status = TradeStatus.RUNNING

    def add_exit_fill(self, qty: Decimal, price: Decimal, charges: Decimal, ts: datetime) -> None:
        assert self.entry_price is not None
        # Cost basis leaves with the quantity; keeping it exact makes realised + unrealised exact too.
        removed = self.cost_open if qty >= self.open_qty else self.cost_open * qty / self.open_qty
        self.cost_open -= removed
        gain = (price * qty - removed) * self.side.sign * self.multiplier
        self.realised += gain
        self.events.append((ts, gain, charges))
        self.exit_qty += qty
        self.exit_value += price * qty
        self.charges += charges

    def close(self, reason: ExitReason, ts: datetime) -> None:
        self.status = TradeStatus.CLOSED
        self.exit_reason = reason
        self.exit_ts = ts
        self.pending_exit = None
        self.pending_reason = None

    @property
    def comment(self) -> str:
        parts = [COMMENTS[self.exit_reason]] if self.exit_reason is not None else []
        return "; ".join(parts + self.comments)
