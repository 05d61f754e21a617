"""Start-up and crash recovery of the trade manager: one path for both (ARCHITECTURE.md §5).

The order journal is the record of what happened; the ``trades`` table says which orders form a trade.
:func:`recover` books every journaled fill into the account (positions, P&L, day trades), reloads the open
trades and recomputes their quantities, prices and P&L from their orders' fills (a crash between a fill
and the trade's update loses nothing), attaches exit orders sent just before a crash, and rebuilds a trade
for an accepted entry order that has none (its stop and target are then re-planned from the fill price
with the default distances, and the comment says so).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from theo.model.enums import OrderStatus
from theo.model.money import ZERO, round_to_tick
from theo.model.orders import Order
from theo.model.trades import EXIT_TAGS, ExitReason, Trade, TradeStatus
from theo.trading import exits

if TYPE_CHECKING:
    from theo.trading.manager import TradeManager

log = logging.getLogger(__name__)
_REASON_BY_TAG = {tag: reason for reason, tag in EXIT_TAGS.items() if reason is not ExitReason.TRAILING_STOP}


@dataclass
class RecoveryReport:
    fills: int = 0
    trades: int = 0
    rebuilt: list[str] = field(default_factory=list)  # entry order ids that had no trade
    attached: list[str] = field(default_factory=list)  # exit order ids found by strategy and symbol


def _refill(t: Trade, entry: Order | None, exit_orders: list[Order]) -> None:
    """Recompute a trade's fill-derived fields from its orders' fills, in time order."""
    t.entry_qty = t.exit_qty = t.entry_value = t.exit_value = t.cost_open = t.realised = t.charges = ZERO
    t.entry_price, t.entry_ts, t.events = None, None, []
    legs = [(ex, True) for ex in (entry.fills if entry else [])]
    legs += [(ex, False) for o in exit_orders for ex in o.fills]
    for ex, is_entry in sorted(legs, key=lambda leg: (leg[0].ts, not leg[1])):
        if is_entry:
            t.add_entry_fill(ex.quantity, ex.price, ex.charges.total, ex.ts)
        elif t.entry_price is not None:
            t.add_exit_fill(min(ex.quantity, t.open_qty), ex.price, ex.charges.total, ex.ts)


def recover(mgr: TradeManager) -> RecoveryReport:
    """Rebuild ``mgr`` from the order journal and the trade store (call once, before trading)."""
    report = RecoveryReport()
    orders = {o.client_order_id: o for o in mgr.orders.journal.load_orders()}
    for ex in sorted((f for o in orders.values() for f in o.fills), key=lambda f: (f.ts, f.exec_id)):
        report.fills += mgr._book(ex)
    for o in orders.values():
        mgr._order_status[o.client_order_id] = o.status
        mgr._track_working(o)
        mgr.orders.orders.setdefault(o.client_order_id, o)
    known = set()
    trades = mgr.store.load_trades(open_only=True) if mgr.store is not None else []
    for t in trades:
        known.add(t.entry_order_id)
        known.update(t.exit_orders)
    for o in orders.values():  # exits sent just before a crash, not yet linked to their trade
        tag = o.request.tag
        if o.client_order_id in known or tag not in _REASON_BY_TAG or not o.request.reduce_only:
            continue
        for t in trades:
            if t.strategy == o.request.strategy and t.symbol == o.symbol and t.side is o.side.opposite:
                t.exit_orders[o.client_order_id] = _REASON_BY_TAG[tag]
                known.add(o.client_order_id)
                report.attached.append(o.client_order_id)
                break
    for o in orders.values():  # accepted entries whose trade row was never written
        if o.request.tag == "entry" and o.client_order_id not in known and o.status is not OrderStatus.REJECTED \
                and (o.is_open or o.filled_qty > 0) and mgr.store is not None \
                and not any(x.entry_order_id == o.client_order_id for x in mgr.store.load_trades(
                    strategy=o.request.strategy)):
            trades.append(_rebuild(mgr, o))
            report.rebuilt.append(o.client_order_id)
    for t in trades:
        entry = orders.get(t.entry_order_id)
        outs = [orders[c] for c in t.exit_orders if c in orders]
        for o in outs:  # the store keeps the ids; the reason of each exit is its order's tag
            t.exit_orders[o.client_order_id] = _REASON_BY_TAG.get(o.request.tag, ExitReason.MANUAL)
        t.rr_done = ExitReason.RISK_REDUCTION in t.exit_orders.values() or "risk reduction" in t.comment
        if t.trailing_pct is not None and t.stop != t.initial_stop:
            t.stop_kind = ExitReason.TRAILING_STOP
        _refill(t, entry, outs)
        _register(mgr, t, entry, outs)
        report.trades += 1
    log.info("trade manager recovered: %s", report)
    return report


def _rebuild(mgr: TradeManager, o: Order) -> Trade:
    inst = mgr._inst(o.symbol)
    lim = mgr.config.limits_for(o.request.strategy, account=mgr.account)
    ref = o.avg_fill_price or o.request.limit_price or Decimal(mgr.portfolio.marks().get(o.symbol, ZERO))
    dist = round_to_tick(ref * lim.default_stop_pct / 100, inst.tick_size)
    t = Trade(strategy=o.request.strategy, symbol=o.symbol, side=o.side, planned_qty=o.quantity,
              entry_order_id=o.client_order_id, multiplier=inst.multiplier,
              stop=ref - o.side.sign * dist if ref else None,
              target=ref + o.side.sign * dist * lim.default_target_r if ref else None,
              risk_per_unit=dist * inst.multiplier, signal_id=o.request.signal_id, account=mgr.account,
              created_at=o.created_at)
    t.comments.append("recovered without its plan: default stop and target")
    return t


def _register(mgr: TradeManager, t: Trade, entry: Order | None, outs: list[Order]) -> None:
    mgr._all.append(t)
    mgr._by_order[t.entry_order_id] = t
    for o in outs:
        mgr._by_order[o.client_order_id] = t
        if o.is_open:
            t.pending_exit, t.pending_reason = o.client_order_id, t.exit_orders[o.client_order_id]
    entry_open = entry is not None and entry.is_open
    if t.entry_qty > 0 and t.open_qty <= 0 and not entry_open:
        last = max((f.ts for o in outs for f in o.fills), default=mgr.clock.now())
        mgr._open[t.entry_order_id] = t  # _close removes it again
        t.status = TradeStatus.RUNNING
        mgr._close(t, t.exit_orders.get(outs[-1].client_order_id, ExitReason.MANUAL) if outs else
                   ExitReason.MANUAL, last)
        return
    if t.entry_qty == 0 and not entry_open:
        mgr._open[t.entry_order_id] = t
        mgr._close(t, ExitReason.NOT_FILLED)
        return
    t.status = TradeStatus.RUNNING if t.entry_qty > 0 else TradeStatus.WAITING
    mgr._open[t.entry_order_id] = t
    mgr._index(t)
    mgr._count_opened(t, 1)
    exits.prepare(t, mgr.config.rules_for(t.strategy))
    mgr._save(t, "recovered", {"entry_qty": str(t.entry_qty), "exit_qty": str(t.exit_qty)})
    if t.entry_qty > 0:
        mgr._arm_time_exit(mgr._inst(t.symbol).calendar, mgr.clock.now())
