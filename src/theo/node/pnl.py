"""The realized P&L a trader reads: one figure, computed one way, for `theo run`, its panel and `theo status`.

Realized P&L is the account's closed trades' P&L net of charges, over every run of the store. A restarted run
holds only the trades still open (recovery loads no closed ones), so the trades closed before it are read
from the store once and added to what the run itself closes.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from theo.model.trades import Trade
from theo.trading.manager import TradeManager

CENT = Decimal("0.01")


def realized_pnl(trades: Iterable[Trade]) -> Decimal:
    """Net realized P&L (after charges) of the closed trades among ``trades``, to the cent."""
    return sum((t.realised - t.charges for t in trades if not t.is_open), Decimal(0)).quantize(CENT)


class AccountRealized:
    """Net realized P&L of a run's account: the store's trades closed before the run (read once, on the first
    call) plus those the run's trade manager holds closed."""

    def __init__(self, manager: TradeManager) -> None:
        self.manager = manager
        self._before: Decimal | None = None

    def __call__(self) -> Decimal:
        held = self.manager.trades()
        if self._before is None:
            ids = {t.id for t in held}
            stored = self.manager.store.load_trades() if self.manager.store is not None else []
            self._before = realized_pnl(t for t in stored if t.id not in ids)
        return (self._before + realized_pnl(held)).quantize(CENT)
