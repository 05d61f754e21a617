"""The trade: one entry with its protective orders and exits, its levels and its P&L (plan §5–§7).

Money is Decimal. A trade's P&L is a :class:`~theo.model.ledger.Position` of its own quantity (average cost;
charges apart, market-rules.md §7.5). The protective stop and target rest at the broker as the entry's bracket
children; the trade keeps their ids, and the levels the engine last set (the broker may trail the stop further).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from theo.model.enums import Side
from theo.model.ledger import Position
from theo.model.money import ZERO
from theo.model.orders import OrderTag


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


#: Order tag of the exit order for each reason.
EXIT_TAGS = {ExitReason.STOP_LOSS: OrderTag.STOP_LOSS, ExitReason.TRAILING_STOP: OrderTag.STOP_LOSS,
             ExitReason.PROFIT_TARGET: OrderTag.TAKE_PROFIT, ExitReason.RISK_REDUCTION: OrderTag.RISK_REDUCTION,
             ExitReason.EXIT_RULE: OrderTag.EXIT_RULE, ExitReason.TIME_EXIT: OrderTag.TIME_EXIT,
             ExitReason.MANUAL: OrderTag.MANUAL, ExitReason.KILL_SWITCH: OrderTag.KILL_SWITCH}
#: The reason an exit order of each tag stands for.
REASON_OF_TAG = {OrderTag.STOP_LOSS: ExitReason.STOP_LOSS, OrderTag.TAKE_PROFIT: ExitReason.PROFIT_TARGET,
                 OrderTag.RISK_REDUCTION: ExitReason.RISK_REDUCTION, OrderTag.EXIT_RULE: ExitReason.EXIT_RULE,
                 OrderTag.TIME_EXIT: ExitReason.TIME_EXIT, OrderTag.MANUAL: ExitReason.MANUAL,
                 OrderTag.KILL_SWITCH: ExitReason.KILL_SWITCH}

COMMENTS = {ExitReason.STOP_LOSS: "Stop-loss", ExitReason.PROFIT_TARGET: "Profit target",
            ExitReason.TRAILING_STOP: "Trailing stop", ExitReason.RISK_REDUCTION: "Risk reduction",
            ExitReason.EXIT_RULE: "Exit rule", ExitReason.TIME_EXIT: "Time exit", ExitReason.MANUAL: "Manual",
            ExitReason.KILL_SWITCH: "Kill switch", ExitReason.NOT_FILLED: "Entry not filled"}


@dataclass(eq=False, slots=True)
class Trade:
    """A trade and its running state; the trade manager mutates it, the trade store mirrors it."""

    strategy: str
    symbol: str
    side: Side
    planned_qty: Decimal
    entry_order_id: str
    multiplier: Decimal = Decimal(1)
    stop: Decimal | None = None  # protective stop as the engine last set it
    target: Decimal | None = None
    trailing_pct: Decimal | None = None  # the stop order trails at the broker
    risk_per_unit: Decimal = ZERO
    ss_type: str = ""
    signal_id: int | None = None
    account: str = ""
    id: int | None = None
    status: TradeStatus = TradeStatus.WAITING
    entry_qty: Decimal = ZERO
    entry_price: Decimal | None = None  # average of the entry fills
    entry_value: Decimal = ZERO  # sum of qty x price of the entry fills
    exit_qty: Decimal = ZERO
    exit_value: Decimal = ZERO  # sum of qty x price of the exit fills
    initial_stop: Decimal | None = None
    exit_reason: ExitReason | None = None
    comments: list[str] = field(default_factory=list)
    entry_ts: datetime | None = None
    exit_ts: datetime | None = None
    created_at: datetime | None = None
    rr_done: bool = False
    rr_f: float | None = None  # risk-reduction trigger price (float: compared on every tick)
    protective: dict[str, ExitReason] = field(default_factory=dict)  # resting bracket children -> reason
    exit_orders: dict[str, ExitReason] = field(default_factory=dict)  # every exit order -> reason
    pending_exit: str | None = None  # client order id of the working market exit
    pending_reason: ExitReason | None = None  # an exit waiting for the protective orders to be cancelled
    events: list[tuple[datetime, Decimal, Decimal]] = field(default_factory=list)  # (ts, realised, charges)
    book: Position = field(default_factory=Position)

    def __post_init__(self) -> None:
        if self.initial_stop is None:
            self.initial_stop = self.stop
        if self.book.multiplier != self.multiplier:
            self.book.multiplier = self.multiplier

    # -- derived ----------------------------------------------------------------------------------------
    @property
    def open_qty(self) -> Decimal:
        return self.entry_qty - self.exit_qty

    @property
    def exit_price(self) -> Decimal | None:
        return self.exit_value / self.exit_qty if self.exit_qty else None

    @property
    def realised(self) -> Decimal:
        return self.book.realised

    @property
    def charges(self) -> Decimal:
        return self.book.charges

    @property
    def is_open(self) -> bool:
        return self.status is not TradeStatus.CLOSED

    @property
    def risk(self) -> Decimal:
        """USD lost if the open quantity exits at the stop (0 once the stop locks in a profit)."""
        if self.status is TradeStatus.CLOSED:
            return ZERO
        entry = self.entry_price
        if entry is None or self.stop is None:
            return max(self.planned_qty - self.exit_qty, ZERO) * self.risk_per_unit
        loss = (entry - self.stop) * self.side.sign * self.multiplier
        return max(loss, ZERO) * self.open_qty

    def unrealised(self, mark: Decimal | None) -> Decimal:
        return self.book.unrealised(mark)

    def net(self, mark: Decimal | None = None) -> Decimal:
        return self.realised + self.unrealised(mark) - self.charges

    # -- updates ------------------------------------------------------------------------------------------
    def add_entry_fill(self, qty: Decimal, price: Decimal, charges: Decimal, ts: datetime) -> None:
        self.entry_value += price * qty
        self.entry_qty += qty
        self.entry_price = price if self.entry_qty == qty else self.entry_value / self.entry_qty
        self.book.add_fill(self.side, qty, price, charges)
        self.events.append((ts, ZERO, charges))
        if self.entry_ts is None:
            self.entry_ts = ts
        if self.status is TradeStatus.WAITING:
            self.status = TradeStatus.RUNNING

    def add_exit_fill(self, qty: Decimal, price: Decimal, charges: Decimal, ts: datetime) -> None:
        gain = self.book.add_fill(self.side.opposite, qty, price, charges)
        self.events.append((ts, gain, charges))
        self.exit_qty += qty
        self.exit_value += price * qty

    def close(self, reason: ExitReason, ts: datetime) -> None:
        self.status = TradeStatus.CLOSED
        self.exit_reason = reason
        self.exit_ts = ts
        self.pending_exit = None
        self.pending_reason = None

    def reset_fills(self) -> None:
        """Forget every fill (recovery recomputes them from the journal)."""
        self.entry_qty = self.entry_value = self.exit_qty = self.exit_value = ZERO
        self.entry_price = None
        self.entry_ts = None
        self.events = []
        self.book = Position(self.multiplier)

    def restore(self, *, entry_qty: Decimal, entry_price: Decimal | None, exit_qty: Decimal,
                exit_price: Decimal | None, realised: Decimal, charges: Decimal) -> None:
        """Set the fill totals a stored trade row holds (the journal's fills replace them on recovery)."""
        self.entry_qty, self.exit_qty = entry_qty, exit_qty
        self.entry_price = entry_price if entry_qty else None
        self.entry_value = (entry_price or ZERO) * entry_qty
        self.exit_value = (exit_price or ZERO) * exit_qty
        book = Position(self.multiplier)
        book.quantity = self.side.sign * (entry_qty - exit_qty)
        book.cost = (entry_price or ZERO) * (entry_qty - exit_qty)
        book.realised, book.charges = realised, charges
        self.book = book

    @property
    def comment(self) -> str:
        parts = [COMMENTS[self.exit_reason]] if self.exit_reason is not None else []
        return "; ".join(parts + self.comments)
