"""The account at one decision: equity, positions, marks and the exposure and margin they use, computed once.

Sizing (the caps) and the pre-trade checks of the order that follows read the same snapshot, so a decision
costs one pass over the positions. Amounts in USD (Decimal); quantities signed (short < 0).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from theo.model.enums import InstrumentKind
from theo.model.instruments import Instrument
from theo.model.money import ZERO
from theo.risk.margin import MarginModel
from theo.risk.portfolio import PortfolioView


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    """The account as the risk checks see it at one instant (see the module docstring)."""

    equity: Decimal
    open_risk: Decimal
    positions: Mapping[str, Decimal]  # non-zero only
    marks: Mapping[str, Decimal]
    instruments: Mapping[str, Instrument]  # of the positions
    gross: Decimal  # sum of |position value| at the marks
    net: Decimal  # sum of position values at the marks
    intraday_initial: Decimal  # house intraday initial margin of the positions (market-rules.md §2.3)
    reg_t_initial: Decimal  # Reg T initial requirement of the positions (§2.1)
    maintenance: Decimal  # maintenance requirement of the positions (§2.3)
    stock_gross: Decimal  # gross value of the positions that are not futures (day-trading buying power, §1.1)

    def value(self, symbol: str, qty: Decimal | None = None, price: Decimal | None = None) -> Decimal:
        """Signed value of ``qty`` (default: the position) of ``symbol`` at ``price`` (default: its mark)."""
        q = self.positions.get(symbol, ZERO) if qty is None else qty
        px = self.marks.get(symbol) if price is None else price
        if not q or px is None:
            return ZERO
        inst = self.instruments.get(symbol)
        return q * px * (inst.multiplier if inst is not None else Decimal(1))

    def requirement(self, margin: MarginModel, kind: str, inst: Instrument, qty: Decimal, price: Decimal | None
                    ) -> Decimal:
        """The ``kind`` margin (intraday_initial | reg_t_initial | maintenance) of ``qty`` of ``inst``."""
        if not qty or price is None:
            return ZERO
        if kind == "intraday_initial":
            return margin.intraday_initial(inst, qty, price)
        if kind == "reg_t_initial":
            return margin.reg_t_initial(inst, qty, price)
        return margin.maintenance(inst, qty, price)


def take_snapshot(pf: PortfolioView, instrument: Callable[[str], Instrument], margin: MarginModel) -> AccountSnapshot:
    """One pass over the positions of ``pf``."""
    positions = dict(pf.positions())
    return snapshot(pf.equity(), pf.open_risk(), positions, pf.marks(), {s: instrument(s) for s in positions}, margin)


def snapshot(equity: Decimal, open_risk: Decimal, positions: Mapping[str, Decimal], marks: Mapping[str, Decimal],
             instruments: Mapping[str, Instrument], margin: MarginModel) -> AccountSnapshot:
    """The account of ``positions`` (each in ``instruments``) at ``marks``, with its gross value and margins."""
    gross = net = intraday = reg_t = maint = stock = ZERO
    for sym, qty in positions.items():
        px = marks.get(sym)
        if px is None:
            continue
        inst = instruments[sym]
        value = qty * px * inst.multiplier
        gross += abs(value)
        net += value
        if inst.kind is not InstrumentKind.FUTURE:
            stock += abs(value)
        intraday += margin.intraday_initial(inst, qty, px)
        reg_t += margin.reg_t_initial(inst, qty, px)
        maint += margin.maintenance(inst, qty, px)
    return AccountSnapshot(equity, open_risk, positions, marks, instruments, gross, net, intraday, reg_t, maint,
                           stock)
