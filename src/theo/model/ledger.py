"""The one P&L ledger: an average-cost :class:`Position`, the account's :class:`FillLedger`, and :class:`PnL`.

Every P&L in Theo is computed here: a trade keeps one :class:`Position` (its own quantity), the account keeps
one per symbol (every fill, whether or not a trade owns it), the simulated broker keeps its own book with the
same class, and the reports read trades. Average cost: a reducing fill realises ``qty x (price - average
cost)``, the cost basis of what is left is kept exact, charges are kept apart (net = gross - charges,
market-rules.md §7.5), so ``realised + unrealised - charges`` is the mark-to-market change of the account.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from theo.core.calendar import et_date
from theo.model.enums import Side
from theo.model.money import ZERO

if TYPE_CHECKING:
    from theo.model.trades import Trade

ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class PnL:
    realised: Decimal = ZERO
    unrealised: Decimal = ZERO
    charges: Decimal = ZERO

    @property
    def gross(self) -> Decimal:
        return self.realised + self.unrealised

    @property
    def net(self) -> Decimal:
        return self.realised + self.unrealised - self.charges

    def __add__(self, other: PnL) -> PnL:
        return PnL(self.realised + other.realised, self.unrealised + other.unrealised, self.charges + other.charges)


class Position:
    """A signed quantity at average cost, with what it realised and the charges paid on it."""

    __slots__ = ("charges", "cost", "multiplier", "quantity", "realised")

    def __init__(self, multiplier: Decimal = ONE) -> None:
        self.quantity = ZERO  # signed: short < 0
        self.cost = ZERO  # cost basis of |quantity| (sum of qty x price), exact
        self.realised = ZERO
        self.charges = ZERO
        self.multiplier = multiplier

    @property
    def avg_cost(self) -> Decimal:
        return self.cost / abs(self.quantity) if self.quantity else ZERO

    def add_fill(self, side: Side, qty: Decimal, price: Decimal, charges: Decimal = ZERO) -> Decimal:
        """Book one fill; return the P&L it realised (a flip opens the remainder at ``price``)."""
        self.charges += charges
        held = self.quantity
        if held == 0 or (held > 0) is (side is Side.BUY):
            self.cost += price * qty
            self.quantity = held + qty if side is Side.BUY else held - qty
            return ZERO
        size = held if held > 0 else -held
        closed = qty if qty < size else size
        removed = self.cost if closed == size else self.cost * closed / size
        realised = (closed * price - removed) * self.multiplier if held > 0 else \
            (removed - closed * price) * self.multiplier
        self.cost -= removed
        self.quantity = held + qty if side is Side.BUY else held - qty
        if qty > size:  # flipped: the remainder opened at this price
            self.cost = price * (qty - size)
        self.realised += realised
        return realised

    def unrealised(self, mark: Decimal | None) -> Decimal:
        if mark is None or not self.quantity:
            return ZERO
        if self.quantity > 0:
            return (mark * self.quantity - self.cost) * self.multiplier
        return (self.cost + mark * self.quantity) * self.multiplier


class FillLedger:
    """The account's P&L from its fills: one :class:`Position` per symbol, the realised P&L by ET day."""

    def __init__(self) -> None:
        self.positions: dict[str, Position] = {}
        self.realised = ZERO
        self.charges = ZERO
        self.daily: dict[date, PnL] = defaultdict(PnL)

    def add_fill(self, symbol: str, side: Side, qty: Decimal, price: Decimal, charges: Decimal, ts: datetime,
                 multiplier: Decimal = ONE) -> Decimal:
        """Book one fill; return the P&L it realised."""
        pos = self.positions.get(symbol)
        if pos is None:
            pos = self.positions[symbol] = Position(multiplier)
        realised = pos.add_fill(side, qty, price, charges)
        self.realised += realised
        self.charges += charges
        self.daily[et_date(ts)] += PnL(realised, ZERO, charges)
        return realised

    def position(self, symbol: str) -> Decimal:
        pos = self.positions.get(symbol)
        return ZERO if pos is None else pos.quantity

    def unrealised(self, marks: Mapping[str, Decimal]) -> Decimal:
        out = ZERO
        for sym, pos in self.positions.items():
            if pos.quantity and sym in marks:
                out += pos.unrealised(marks[sym])
        return out

    def pnl(self, marks: Mapping[str, Decimal]) -> PnL:
        return PnL(self.realised, self.unrealised(marks), self.charges)


# -- views over trades --------------------------------------------------------------------------------------
def trade_pnl(trade: Trade, mark: Decimal | None = None) -> PnL:
    """One trade: realised on its exits, its open quantity marked at ``mark``, all its charges."""
    return PnL(trade.realised, trade.unrealised(mark), trade.charges)


def by_strategy(trades: Iterable[Trade], marks: Mapping[str, Decimal]) -> dict[str, PnL]:
    out: dict[str, PnL] = defaultdict(PnL)
    for t in trades:
        out[t.strategy] += trade_pnl(t, marks.get(t.symbol))
    return dict(out)


def by_day(trades: Iterable[Trade], marks: Mapping[str, Decimal], today: date | None = None) -> dict[date, PnL]:
    """Realised and charges on the ET day they happened; open trades' unrealised on ``today``."""
    out: dict[date, PnL] = defaultdict(PnL)
    for t in trades:
        for ts, realised, charges in t.events:
            out[et_date(ts)] += PnL(realised, ZERO, charges)
        if today is not None and t.open_qty:
            out[today] += PnL(ZERO, t.unrealised(marks.get(t.symbol)), ZERO)
    return dict(sorted(out.items()))


def account_pnl(trades: Iterable[Trade], marks: Mapping[str, Decimal]) -> PnL:
    total = PnL()
    for t in trades:
        total += trade_pnl(t, marks.get(t.symbol))
    return total
