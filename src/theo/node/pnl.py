"""The realized P&L a trader reads: one figure, computed one way, for `theo run`, its panel and `theo status`.

Realized P&L is the account's closed trades' P&L net of charges, over every run of the store. A restarted run
holds only the trades still open (recovery loads no closed ones), so the trades closed before it are read
from the store once and added to what the run itself closes.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from weakref import WeakKeyDictionary

from theo.model.trades import Trade
from theo.trading.manager import TradeManager

CENT = Decimal("0.01")
_closed_before: WeakKeyDictionary[TradeManager, Decimal] = WeakKeyDictionary()


def realized_pnl(trades: Iterable[Trade]) -> Decimal:
    """Net realized P&L (after charges) of the closed trades among ``trades``, to the cent."""
    return sum((t.realised - t.charges for t in trades if not t.is_open), Decimal(0)).quantize(CENT)


def account_realized(manager: TradeManager) -> Decimal:
    """Net realized P&L of the account: the store's trades closed before this run plus those the run closed."""
    held = manager.trades()
    before = _closed_before.get(manager)
    if before is None:
        ids = {t.id for t in held}
        stored = manager.store.load_trades() if manager.store is not None else []
        before = _closed_before[manager] = realized_pnl(t for t in stored if t.id not in ids)
    return (before + realized_pnl(held)).quantize(CENT)
