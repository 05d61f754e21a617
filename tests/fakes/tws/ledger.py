"""The fake broker's books: cash, positions with average cost, and the account values derived from them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.fakes.tws.contracts import Instrument

ACCOUNT_TAGS = (
    "NetLiquidation",
    "TotalCashValue",
    "SettledCash",
    "BuyingPower",
    "AvailableFunds",
    "ExcessLiquidity",
    "GrossPositionValue",
    "InitMarginReq",
    "MaintMarginReq",
    "EquityWithLoanValue",
    "FullInitMarginReq",
    "FullMaintMarginReq",
    "FullAvailableFunds",
    "FullExcessLiquidity",
    "Cushion",
    "RealizedPnL",
    "UnrealizedPnL",
)
MARGIN_RATE = 0.25


@dataclass
class Holding:
    """One position of one account."""

    instrument: Instrument
    quantity: float = 0.0
    avg_cost: float = 0.0  # per unit of price (not multiplied)
    realized: float = 0.0


class Ledger:
    """Cash and positions per account; ``mark`` gives the current price of an instrument."""

    def __init__(self, accounts: tuple[str, ...], cash: float, mark: Callable[[Instrument], float | None]) -> None:
        self.cash = dict.fromkeys(accounts, cash)
        self.holdings: dict[str, dict[int, Holding]] = {a: {} for a in accounts}
        self.realized = dict.fromkeys(accounts, 0.0)
        self._mark = mark

    def ensure(self, account: str) -> None:
        """Create an account with no cash when an order names an unknown one."""
        self.cash.setdefault(account, 0.0)
        self.holdings.setdefault(account, {})
        self.realized.setdefault(account, 0.0)

    def price(self, holding: Holding) -> float:
        """Mark price of a holding (last trade, else its average cost)."""
        mark = self._mark(holding.instrument)
        return holding.avg_cost if mark is None else mark

    def set_position(self, account: str, instrument: Instrument, qty: float, avg_cost: float) -> None:
        """Force a position (e.g. one the client never traded)."""
        self.ensure(account)
        self.holdings[account][instrument.con_id] = Holding(instrument, qty, avg_cost)

    def apply_fill(self, account: str, instrument: Instrument, signed_qty: float, price: float, fee: float) -> float:
        """Book a fill; returns the realized PnL of the closing part (0 when only opening)."""
        self.ensure(account)
        mult = instrument.price_multiplier
        h = self.holdings[account].setdefault(instrument.con_id, Holding(instrument))
        self.cash[account] -= signed_qty * price * mult + fee
        realized = 0.0
        old = h.quantity
        new = old + signed_qty
        if old == 0 or (old > 0) == (signed_qty > 0):
            h.avg_cost = (old * h.avg_cost + signed_qty * price) / new if new else 0.0
        else:
            closed = min(abs(signed_qty), abs(old))
            realized = closed * (price - h.avg_cost) * mult * (1 if old > 0 else -1)
            if abs(signed_qty) > abs(old):
                h.avg_cost = price
            elif new == 0:
                h.avg_cost = 0.0
        h.quantity = new
        h.realized += realized - fee
        self.realized[account] += realized - fee
        return realized - fee if realized else 0.0

    def positions(self, account: str) -> list[Holding]:
        """Non-flat holdings of the account."""
        return [h for h in self.holdings.get(account, {}).values() if h.quantity != 0]

    def values(self, account: str) -> dict[str, float]:
        """Account values in USD derived from cash and marked positions."""
        cash = self.cash.get(account, 0.0)
        market = gross = unrealized = 0.0
        for h in self.positions(account):
            px = self.price(h)
            mult = h.instrument.price_multiplier
            market += h.quantity * px * mult
            gross += abs(h.quantity * px * mult)
            unrealized += h.quantity * (px - h.avg_cost) * mult
        net = cash + market
        margin = gross * MARGIN_RATE
        available = net - margin
        return {
            "NetLiquidation": net,
            "TotalCashValue": cash,
            "SettledCash": cash,
            "BuyingPower": max(available, 0.0) * 4,
            "AvailableFunds": available,
            "ExcessLiquidity": net - margin,
            "GrossPositionValue": gross,
            "InitMarginReq": margin,
            "MaintMarginReq": margin,
            "EquityWithLoanValue": net,
            "FullInitMarginReq": margin,
            "FullMaintMarginReq": margin,
            "FullAvailableFunds": available,
            "FullExcessLiquidity": net - margin,
            "Cushion": (net - margin) / net if net else 0.0,
            "RealizedPnL": self.realized.get(account, 0.0),
            "UnrealizedPnL": unrealized,
        }
