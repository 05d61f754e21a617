"""Commissions and fees of the IBKR Pro schedules (market-rules.md §7) for the simulated broker.

Rounding, per execution: the commission of an order is computed on the order's cumulative quantity and
value (the per-order minimum and maximum of §7.1 are shared by its partial fills) and rounded half-even to
the cent; each fill is charged the difference to what the order was already charged, so the fills of an
order add up to the order's commission exactly. Regulatory fees (SEC, FINRA TAF, CAT, ORF, OCC, NFA) are
rounded up to the cent on each execution, as brokers usually do (§7.2 "Rounding").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal

from theo.core.calendar import ET
from theo.execution.config import CommissionConfig
from theo.model.enums import InstrumentKind, Side
from theo.model.events import Charges
from theo.model.instruments import Instrument
from theo.model.money import ZERO

CENT = Decimal("0.01")
MILLION = Decimal(1_000_000)


def cents_half_even(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


def cents_up(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_CEILING)


@dataclass(frozen=True, slots=True)
class OrderChargeState:
    """What one order has been charged so far: shares the per-order minimum across partial fills."""

    quantity: Decimal = ZERO
    value: Decimal = ZERO
    raw_commission: Decimal = ZERO
    commission: Decimal = ZERO

    def as_list(self) -> list[str]:
        return [str(self.quantity), str(self.value), str(self.raw_commission), str(self.commission)]

    @classmethod
    def from_list(cls, data: list[str]) -> OrderChargeState:
        q, v, r, c = (Decimal(x) for x in data)
        return cls(q, v, r, c)


class CommissionModel:
    """Charges of one execution under the configured schedule (fixed or tiered)."""

    def __init__(self, config: CommissionConfig | None = None) -> None:
        self.config = config or CommissionConfig()
        self._free = Charges(source="model", schedule_version="none")

    def sec_rate(self, day: date) -> Decimal:
        """SEC Section 31 rate per USD of sales on ``day`` (dated config, market-rules.md §7.2)."""
        rate = ZERO
        for entry in self.config.sec_fee_rates:
            if entry.effective <= day:
                rate = entry.per_million / MILLION
        return rate

    def charges(self, inst: Instrument, side: Side, quantity: Decimal, price: Decimal, ts: datetime,
                prior: OrderChargeState | None = None) -> tuple[Charges, OrderChargeState]:
        """Charges of a fill of ``quantity`` at ``price``, given what its order was charged before."""
        prior = prior or OrderChargeState()
        if self.config.schedule == "none":
            return self._free, prior
        value = quantity * price * inst.multiplier
        if inst.kind is InstrumentKind.OPTION:
            return self._option(inst, side, quantity, price, value, ts, prior)
        if inst.kind is InstrumentKind.FUTURE:
            return self._future(quantity, value, prior)
        return self._stock(side, quantity, value, ts, prior)

    def _commission(self, prior: OrderChargeState, quantity: Decimal, value: Decimal, raw: Decimal,
                    minimum: Decimal, max_pct: Decimal | None) -> tuple[Decimal, OrderChargeState]:
        state = OrderChargeState(prior.quantity + quantity, prior.value + value, prior.raw_commission + raw)
        total = max(state.raw_commission, minimum)
        if max_pct is not None:
            total = min(total, max_pct * state.value)
        total = cents_half_even(total)
        return total - prior.commission, OrderChargeState(state.quantity, state.value, state.raw_commission, total)

    def _stock(self, side: Side, qty: Decimal, value: Decimal, ts: datetime,
               prior: OrderChargeState) -> tuple[Charges, OrderChargeState]:
        c = self.config
        sell = side is Side.SELL
        # §7.2: SEC fee and FINRA TAF on sales only; CAT on every equity execution.
        sec = cents_up(value * self.sec_rate(ts.astimezone(ET).date())) if sell else ZERO
        taf = cents_up(min(qty * c.finra_taf_per_share, c.finra_taf_max)) if sell else ZERO
        cat = cents_up(qty * c.cat_fee_per_share)
        if c.schedule == "fixed":
            # §7.1 fixed: min(max(0.005 x shares, 1.00), 1 % of value) per order.
            commission, state = self._commission(prior, qty, value, qty * c.stock_fixed_per_share,
                                                 c.stock_fixed_min, c.stock_max_pct_of_value)
            return Charges(commission=commission, sec_fee=sec, finra_taf=taf, cat_fee=cat, source="model",
                           schedule_version=f"{c.schedule_version}/fixed"), state
        # §7.1 tiered: 0.0035/share min 0.35 max 1 %, plus exchange, clearing and pass-through fees.
        commission, state = self._commission(prior, qty, value, qty * c.stock_tiered_per_share,
                                             c.stock_tiered_min, c.stock_max_pct_of_value)
        passthrough = commission * (c.tiered_nyse_passthrough + c.tiered_finra_passthrough)
        return Charges(commission=commission,
                       exchange_fee=cents_half_even(qty * c.tiered_exchange_fee_per_share),
                       clearing_fee=cents_half_even(qty * c.tiered_clearing_per_share),
                       other_fee=cents_half_even(passthrough), sec_fee=sec, finra_taf=taf, cat_fee=cat,
                       source="model", schedule_version=f"{c.schedule_version}/tiered"), state

    def _option(self, inst: Instrument, side: Side, qty: Decimal, premium: Decimal, value: Decimal, ts: datetime,
                prior: OrderChargeState) -> tuple[Charges, OrderChargeState]:
        c = self.config
        # §7.3 premium bands per contract, minimum 1.00 per order.
        if premium >= Decimal("0.10"):
            rate = c.option_per_contract_high
        elif premium >= Decimal("0.05"):
            rate = c.option_per_contract_mid
        else:
            rate = c.option_per_contract_low
        commission, state = self._commission(prior, qty, value, qty * rate, c.option_min, None)
        sell = side is Side.SELL
        sec = cents_up(value * self.sec_rate(ts.astimezone(ET).date())) if sell else ZERO
        return Charges(commission=commission,
                       exchange_fee=cents_half_even(qty * c.option_exchange_fee_per_contract),
                       orf=cents_up(qty * c.option_orf_per_contract),
                       occ_fee=cents_up(min(qty * c.option_occ_per_contract, c.option_occ_max_per_trade)),
                       finra_taf=cents_up(qty * c.option_taf_per_contract) if sell else ZERO,
                       sec_fee=sec, source="model", schedule_version=f"{c.schedule_version}/options"), state

    def _future(self, qty: Decimal, value: Decimal, prior: OrderChargeState) -> tuple[Charges, OrderChargeState]:
        c = self.config
        # §7.4 MES: 0.25 per contract per side + exchange/clearing fee + NFA 0.02; no minimum.
        commission, state = self._commission(prior, qty, value, qty * c.future_commission_per_contract, ZERO, None)
        return Charges(commission=commission,
                       exchange_fee=cents_half_even(qty * c.future_exchange_fee_per_contract),
                       nfa_fee=cents_up(qty * c.nfa_fee_per_contract), source="model",
                       schedule_version=f"{c.schedule_version}/futures"), state
