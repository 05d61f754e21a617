"""P&L per trade, strategy, day and account: realised and unrealised, net of charges (Decimal USD).

Two views that must agree: trades (plan §5.5, the deals report) and the account's fills
(:class:`FillLedger`, average-cost per symbol, every fill whether or not it belongs to a trade). In both,
``realised + unrealised - charges`` equals the mark-to-market change of the account.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from theo.core.calendar import ET
from theo.model.enums import Side
from theo.model.money import ZERO
from theo.model.trades import Trade


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
            out[ts.astimezone(ET).date()] += PnL(realised, ZERO, charges)
        if today is not None and t.open_qty:
            out[today] += PnL(ZERO, t.unrealised(marks.get(t.symbol)), ZERO)
    return dict(sorted(out.items()))


def account_pnl(trades: Iterable[Trade], marks: Mapping[str, Decimal]) -> PnL:
    total = PnL()
    for t in trades:
        total += trade_pnl(t, marks.get(t.symbol))
    return total


@dataclass(slots=True)
class _Position:
    quantity: Decimal = ZERO
    cost: Decimal = ZERO  # cost basis of |quantity| (qty x price), kept exact
    multiplier: Decimal = Decimal(1)

    @property
    def avg_cost(self) -> Decimal:
        return self.cost / abs(self.quantity) if self.quantity else ZERO


class FillLedger:
    """Account P&L from fills: average cost per symbol, realised on reductions, charges apart."""

    def __init__(self) -> None:
        self.positions: dict[str, _Position] = {}
        self.realised = ZERO
        self.charges = ZERO
        self.daily: dict[date, PnL] = defaultdict(PnL)

    def add_fill(self, symbol: str, side: Side, qty: Decimal, price: Decimal, charges: Decimal, ts: datetime,
                 multiplier: Decimal = Decimal(1)) -> Decimal:
        """Book one fill; return the P&L it realised."""
        pos = self.positions.setdefault(symbol, _Position(multiplier=multiplier))
        signed = side.sign * qty
        realised = ZERO
        if pos.quantity == 0 or (pos.quantity > 0) == (signed > 0):
            pos.cost += price * qty
            pos.quantity += signed
        else:
            held = abs(pos.quantity)
            closed = min(held, qty)
            direction = 1 if pos.quantity > 0 else -1
            removed = pos.cost if closed == held else pos.cost * closed / held
            realised = (closed * price - removed) * direction * pos.multiplier
            pos.cost -= removed
            pos.quantity += signed
            if pos.quantity and (pos.quantity > 0) != (direction > 0):
                pos.cost = price * abs(pos.quantity)  # flipped: the remainder opened at this price
        self.realised += realised
        self.charges += charges
        self.daily[ts.astimezone(ET).date()] += PnL(realised, ZERO, charges)
        return realised

    def position(self, symbol: str) -> Decimal:
        pos = self.positions.get(symbol)
        return ZERO if pos is None else pos.quantity

    def unrealised(self, marks: Mapping[str, Decimal]) -> Decimal:
        out = ZERO
        for sym, pos in self.positions.items():
            if pos.quantity and sym in marks:
                out += (pos.quantity * marks[sym] - (1 if pos.quantity > 0 else -1) * pos.cost) * pos.multiplier
        return out

    def pnl(self, marks: Mapping[str, Decimal]) -> PnL:
        return PnL(self.realised, self.unrealised(marks), self.charges)
