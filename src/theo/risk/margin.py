"""Margin model of the paper broker and the pre-trade checks: Reg T, FINRA maintenance, IBKR house rules.

Numbers come from market-rules.md §2 (defaults in :class:`~theo.risk.config.MarginSettings`); when the broker
reports its own values (live), :class:`BrokerRiskValues` carries them and they win (§2.6).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from theo.core.errors import RiskDenied
from theo.model.enums import InstrumentKind
from theo.model.instruments import Instrument
from theo.model.money import ZERO
from theo.risk.config import MarginSettings

HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class BrokerRiskValues:
    """Account values the broker reports (ib_async account summary tags, market-rules.md §2.6, §1.2)."""

    net_liquidation: Decimal | None = None
    available_funds: Decimal | None = None
    excess_liquidity: Decimal | None = None
    buying_power: Decimal | None = None
    day_trades_remaining: int | None = None  # -1 = unlimited


class MarginModel:
    """Initial and maintenance requirements per position, and the buying powers derived from them."""

    def __init__(self, settings: MarginSettings) -> None:
        self.s = settings

    def _futures(self, inst: Instrument) -> tuple[Decimal, Decimal]:
        root = inst.underlying or inst.symbol
        for key in (inst.symbol, root, root[:3]):
            m = self.s.futures.get(key)
            if m is not None:
                return m.initial, m.maintenance
        raise RiskDenied("MARGIN_UNKNOWN", f"no margin configured for the future {inst.symbol}; set "
                                           f"[risk.account.margin.futures.{root[:3] or inst.symbol}] initial and "
                                           f"maintenance (USD per contract)")

    def intraday_initial(self, inst: Instrument, qty: Decimal, price: Decimal) -> Decimal:
        """House initial requirement at order time of a signed position ``qty`` (§2.3)."""
        if inst.kind is InstrumentKind.FUTURE:
            return abs(qty) * self._futures(inst)[0]
        value = abs(qty) * price * inst.multiplier
        if inst.kind is InstrumentKind.OPTION:
            return value  # §2.1: long listed options are paid in full
        pct = self.s.intraday_initial_long_pct if qty >= 0 else self.s.intraday_initial_short_pct
        return value * pct / HUNDRED

    def reg_t_initial(self, inst: Instrument, qty: Decimal, price: Decimal) -> Decimal:
        """Reg T end-of-day initial requirement (§2.1: 50 % long and short equity)."""
        if inst.kind is InstrumentKind.FUTURE:
            return abs(qty) * self._futures(inst)[0]
        value = abs(qty) * price * inst.multiplier
        if inst.kind is InstrumentKind.OPTION:
            return value
        return value * self.s.reg_t_initial_pct / HUNDRED

    def maintenance(self, inst: Instrument, qty: Decimal, price: Decimal) -> Decimal:
        """Maintenance requirement: 25 % long; short per the house table of §2.3."""
        if inst.kind is InstrumentKind.FUTURE:
            return abs(qty) * self._futures(inst)[1]
        n = abs(qty) * inst.multiplier
        value = n * price
        if inst.kind is InstrumentKind.OPTION:
            return value
        if qty >= 0:
            return value * self.s.maintenance_long_pct / HUNDRED
        # §2.3 short: 30 % above $16.67; $5/share from $5 to $16.67; 100 % below $5; $2.50/share at or below $2.50.
        if price > Decimal("16.67"):
            return value * Decimal("0.30")
        if price >= 5:
            return n * Decimal(5)
        if price > Decimal("2.50"):
            return value
        return n * Decimal("2.50")

    def total(self, kind: str, instruments: Mapping[str, Instrument], positions: Mapping[str, Decimal],
              marks: Mapping[str, Decimal]) -> Decimal:
        """Sum of ``kind`` (intraday_initial | reg_t_initial | maintenance) over the positions."""
        fn = {"intraday_initial": self.intraday_initial, "reg_t_initial": self.reg_t_initial,
              "maintenance": self.maintenance}[kind]
        out = ZERO
        for sym, qty in positions.items():
            if qty != 0 and sym in instruments and sym in marks:
                out += fn(instruments[sym], qty, marks[sym])
        return out

    def day_trading_buying_power(self, prev_close_equity: Decimal, prev_close_maintenance: Decimal) -> Decimal:
        """§1.1 (iii): 4 x (previous close equity - maintenance requirement), never negative."""
        return max(prev_close_equity - prev_close_maintenance, ZERO) * self.s.day_trading_multiplier

    def overnight_buying_power(self, equity: Decimal, reg_t_requirement: Decimal) -> Decimal:
        """What Reg T still allows to be held overnight: equity above the 50 % requirement, levered 2:1."""
        return max(equity - reg_t_requirement, ZERO) * HUNDRED / self.s.reg_t_initial_pct
