"""Modelled charges of a simulated fill (market-rules.md §7.1 fixed IBKR Pro stocks, §7.2 fees on sales)."""

from __future__ import annotations

from decimal import ROUND_UP, Decimal

from theo.domain.enums import Side
from theo.domain.money import cents

PER_SHARE = Decimal("0.005")  # market-rules.md §7.1 fixed commission per share
MINIMUM = Decimal("1.00")  # §7.1 minimum per order
MAX_PCT = Decimal("0.01")  # §7.1 maximum: 1 % of trade value
TAF_PER_SHARE = Decimal("0.000166")  # §7.2 FINRA TAF, shares sold
TAF_MAX = Decimal("8.30")  # §7.2 TAF cap per trade
MILLION = Decimal(1_000_000)


class ChargesModel:
    """Commission plus regulatory fees of one order fill, in USD rounded to the cent."""

    def __init__(self, kind: str = "ibkr_fixed", sec_fee_per_million: Decimal = Decimal(0)) -> None:
        self.kind = kind
        self.sec_rate = sec_fee_per_million / MILLION

    def __call__(self, side: Side, quantity: Decimal, price: Decimal) -> Decimal:
        if self.kind == "none":
            return Decimal(0)
        value = quantity * price
        commission = min(max(PER_SHARE * quantity, MINIMUM), MAX_PCT * value)
        fees = Decimal(0)
        if side is Side.SELL:
            # Brokers round regulatory fees up to the cent (market-rules.md §7.2).
            taf = min(TAF_PER_SHARE * quantity, TAF_MAX).quantize(Decimal("0.01"), rounding=ROUND_UP)
            sec = (self.sec_rate * value).quantize(Decimal("0.01"), rounding=ROUND_UP)
            fees = taf + sec
        return cents(commission) + fees
