"""Modelled charges of a simulated fill: the execution layer's IBKR Pro fixed schedule (market-rules.md §7.1,
§7.2 fees on sales), seen through the engine's one-fill-per-order books."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from theo.execution.commissions import CommissionModel
from theo.execution.config import CommissionConfig, SecFeeRate
from theo.model.enums import Side
from theo.model.instruments import equity

_STOCK = equity("ENGINE")
_ANY_TIME = datetime(2000, 1, 1, tzinfo=UTC)  # the engine's SEC rate is flat, so the fill date does not matter


class ChargesModel:
    """Commission plus regulatory fees of one order fill, in USD rounded to the cent.

    The engine's books fill each order once, so every call is a whole order. The engine has no CAT fee (its
    figures predate the execution model's), and its SEC fee is one flat configured rate.
    """

    def __init__(self, kind: str = "ibkr_fixed", sec_fee_per_million: Decimal = Decimal(0)) -> None:
        self.kind = kind
        self._model = CommissionModel(CommissionConfig(
            schedule="fixed",
            cat_fee_per_share=Decimal(0),
            sec_fee_rates=(SecFeeRate(effective=date(1970, 1, 1), per_million=sec_fee_per_million),),
        ))

    def __call__(self, side: Side, quantity: Decimal, price: Decimal) -> Decimal:
        if self.kind == "none":
            return Decimal(0)
        charges, _ = self._model.charges(_STOCK, side, quantity, price, _ANY_TIME)
        return charges.total
