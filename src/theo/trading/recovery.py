"""Start-up and crash recovery of the trade manager: one path for both (ARCHITECTURE.md §5).

The order journal is the record of what happened; the ``trades`` table says which trades exist. Every order
of a trade carries the trade's entry order id in its own id (``<entry>-sl``, ``<entry>-tp``, ``<entry>-x2``...),
so the orders of each trade are found exactly, never guessed. :func:`recover` books every journaled fill into
the account (positions, P&L, day trades), reloads the open trades and recomputes their quantities, prices and
P&L from their orders' fills (a crash between a fill and the trade's update loses nothing), and rebuilds the
trade of an accepted entry order that has none (its stop and target then come from its bracket children).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from theo.model.enums import OrderStatus, OrderType
from theo.model.money import ZERO, round_to_tick
from theo.model.orders import PROTECTIVE, Order, OrderTag
from theo.model.trades import REASON_OF_TAG, ExitReason, Trade
from theo.trading.portfolio import losses_in_row

if TYPE_CHECKING:
    from theo.trading.manager import TradeManager

log = logging.getLogger(__name__)
_LEG = re.compile(r"^(?P<entry>.+)-(?:sl\d*|tp|x\d+)$")


@dataclass
class RecoveryReport:
    fills: int = 0
    trades: int = 0
    rebuilt: list[str] = field(default_factory=list)  # entry order ids that had no trade


def entry_of(client_order_id: str) -> str | None:
    """The entry order id a protective or exit order id derives from, or ``None``."""
    m = _LEG.match(client_order_id)
    return m.group("entry") if m else None


def _reason(order: Order) -> ExitReason:
    if order.request.tag is OrderTag.STOP_LOSS and order.request.order_type is OrderType.TRAILING_STOP:
        return ExitReason.TRAILING_STOP
    return REASON_OF_TAG.get(order.request.tag, ExitReason.MANUAL)


def _refill(t: Trade, entry: Order | None, exit_orders: list[Order]) -> None:
    """Recompute a trade's fill-derived fields from its orders' fills, in time order."""
    t.reset_fills()
    legs = [(ex, True) for ex in (entry.fills if entry else [])]
    legs += [(ex, False) for o in exit_orders for ex in o.fills]
    for ex, is_entry in sorted(legs, key=lambda leg: (leg[0].ts, not leg[1], leg[0].exec_id)):
        if is_entry:
            t.add_entry_fill(ex.quantity, ex.price, ex.charges.total, ex.ts)
        elif t.open_qty > 0:
            t.add_exit_fill(min(ex.quantity, t.open_qty), ex.price, ex.charges.total, ex.ts)


def recover(mgr: TradeManager) -> RecoveryReport:
    """Rebuild ``mgr`` from the order journal and the trade store (call once, before trading)."""
    report = RecoveryReport()
    journal = mgr.orders.journal.load_orders()
    orders = {o.client_order_id: o for o in journal}
    report.fills = mgr.book_history(journal)
    legs: dict[str, list[Order]] = {}
    for o in journal:
        owner = o.parent_id or entry_of(o.client_order_id)
        if owner is not None and owner in orders:
            legs.setdefault(owner, []).append(o)
    stored = mgr.store.load_trades() if mgr.store is not None else []
    trades = [t for t in stored if t.is_open]
    mgr.portfolio.seed_peak(stored)  # the breakers go on from where the account stands, not from a fresh start
    resumed = mgr.state.last_resume()  # a person's resume ended the streak before it
    mgr.losses_in_row = losses_in_row(t for t in stored if resumed is None or (t.exit_ts or resumed) > resumed)
    # Every order a trade has claimed, open or closed: a closed trade's orders belong to it, not to a trade
    # recovered now; and an entry is rebuilt only when no trade row at all claims it.
    claimed = {cid: t.entry_order_id for t in stored for cid in (t.entry_order_id, *t.exit_orders)}
    if mgr.store is not None:
        for o in journal:  # accepted entries whose trade row was never written
            if o.request.tag is OrderTag.ENTRY and o.client_order_id not in claimed \
                    and o.status is not OrderStatus.REJECTED and (o.is_open or o.filled_qty > 0):
                trades.append(_rebuild(mgr, o, legs.get(o.client_order_id, [])))
                report.rebuilt.append(o.client_order_id)
    for t in trades:
        entry = orders.get(t.entry_order_id)
        outs = [o for o in legs.get(t.entry_order_id, [])
                if claimed.get(o.client_order_id, t.entry_order_id) == t.entry_order_id]
        t.exit_orders = {o.client_order_id: _reason(o) for o in outs}
        t.protective = {o.client_order_id: _reason(o) for o in outs if o.request.tag in PROTECTIVE}
        t.rr_done = ExitReason.RISK_REDUCTION in t.exit_orders.values() or "risk reduction" in t.comment
        _refill(t, entry, outs)
        mgr.adopt(t, orders)
        report.trades += 1
    log.info("trade_manager.recovered", extra=vars(report))
    return report


def _rebuild(mgr: TradeManager, o: Order, legs: list[Order]) -> Trade:
    inst = mgr.instrument(o.symbol)
    lim = mgr.config.limits_for(o.request.strategy, account=mgr.account)
    stop = next((c.request.stop_price for c in legs if c.request.tag is OrderTag.STOP_LOSS), None)
    target = next((c.request.limit_price for c in legs if c.request.tag is OrderTag.TAKE_PROFIT), None)
    ref = o.avg_fill_price or o.request.limit_price or Decimal(mgr.portfolio.marks().get(o.symbol, ZERO))
    dist = round_to_tick(ref * lim.default_stop_pct / 100, inst.tick_size) if ref else ZERO
    if stop is None and not legs and ref:
        stop = ref - o.side.sign * dist
    t = Trade(strategy=o.request.strategy, symbol=o.symbol, side=o.side, planned_qty=o.quantity,
              entry_order_id=o.client_order_id, multiplier=inst.multiplier, stop=stop, target=target,
              risk_per_unit=(abs(ref - stop) if stop is not None and ref else dist) * inst.multiplier,
              signal_id=o.request.signal_id, account=mgr.account, created_at=o.created_at)
    t.comments.append("recovered without its trade record" + ("" if legs else ": default stop"))
    return t
