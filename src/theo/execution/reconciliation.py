"""Start-up and crash recovery are one path: reconcile orders, fills and positions with the broker.

1. every execution the broker has and the journal lacks is journaled (de-duplicated by exec id);
2. every open order of the journal is settled from the broker's record of it: an order the broker never
   received is REJECTED (it is never sent again); a modification made at the broker is adopted;
3. intents that were never sent are dropped (CANCELLED): nothing is sent on a restart;
4. positions of the journal (sum of fills) and of the broker are compared.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from theo.execution.broker import BrokerOrder
from theo.model.enums import OrderStatus
from theo.model.events import Execution
from theo.model.orders import Order

if TYPE_CHECKING:
    from theo.execution.service import OrderService

log = logging.getLogger(__name__)

_FINAL = {OrderStatus.CANCELLED: "cancelled", OrderStatus.EXPIRED: "expired", OrderStatus.REJECTED: "rejected"}


@dataclass
class ReconcileReport:
    """What reconciliation found and did."""

    resolved: list[tuple[str, str, str]] = field(default_factory=list)  # (order, from, to)
    fills_added: list[str] = field(default_factory=list)
    orphan_orders: list[str] = field(default_factory=list)  # working at the broker, unknown to the journal
    orphan_fills: list[str] = field(default_factory=list)
    dropped_intents: list[str] = field(default_factory=list)
    position_diffs: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)  # journal, broker

    @property
    def clean(self) -> bool:
        """True when journal and broker agree (no orphans, no position difference)."""
        return not (self.orphan_orders or self.orphan_fills or self.position_diffs)

    def summary(self) -> str:
        return (f"{len(self.resolved)} order(s) settled, {len(self.fills_added)} fill(s) added, "
                f"{len(self.dropped_intents)} unsent intent(s) dropped, {len(self.orphan_orders)} orphan order(s), "
                f"{len(self.position_diffs)} position difference(s)")


def reconcile(svc: OrderService) -> ReconcileReport:
    report = ReconcileReport()
    journal, broker = svc.journal, svc.broker
    open_orders = journal.load_orders(open_only=True)
    for order in open_orders:
        svc.orders[order.client_order_id] = order
    known = journal.exec_ids()
    executions = broker.executions()  # asked once: for a real broker it is a round trip
    for ex in executions:
        if ex.exec_id in known:
            continue
        owner = svc.lookup(ex.client_order_id)
        if owner is None:
            report.orphan_fills.append(ex.exec_id)
            log.error("broker execution %s belongs to unknown order %s", ex.exec_id, ex.client_order_id)
            continue
        before = owner.status
        if svc.apply_fill(owner, ex):
            report.fills_added.append(ex.exec_id)
            if owner.status is not before:
                report.resolved.append((owner.client_order_id, before.value, owner.status.value))
    for order in open_orders:
        if order.status is OrderStatus.CREATED or not order.is_open:
            continue
        before = order.status
        resolve_order(svc, order, executions)
        if order.status is not before:
            report.resolved.append((order.client_order_id, before.value, order.status.value))
    for order in open_orders:
        if order.status is OrderStatus.CREATED:
            svc.settle(order, OrderStatus.CANCELLED, "intent_dropped",
                       "intent was not sent before the restart; it is not sent now")
            report.dropped_intents.append(order.client_order_id)
    mine = {o.client_order_id for o in open_orders}
    for bo in broker.open_orders():
        if bo.client_order_id not in mine and svc.lookup(bo.client_order_id) is None:
            report.orphan_orders.append(bo.client_order_id)
    ours = journal.positions()
    theirs = {k: p.quantity for k, p in broker.positions().items()}
    for sym in sorted(set(ours) | set(theirs)):
        a, b = ours.get(sym, Decimal(0)), theirs.get(sym, Decimal(0))
        if a != b:
            report.position_diffs[sym] = (a, b)
    if not report.clean:
        log.error("reconciliation: journal and broker differ: %s", report.summary())
    return report


def resolve_order(svc: OrderService, order: Order, executions: Sequence[Execution] | None = None) -> None:
    """Settle one open order from the broker's record; an order the broker lacks is REJECTED, never re-sent.

    ``executions`` are the broker's executions when the caller already has them (else they are asked for).
    """
    bo: BrokerOrder | None = svc.broker.order_status(order.client_order_id)
    if bo is None:
        if order.status in (OrderStatus.SUBMITTED, OrderStatus.UNKNOWN):
            svc.settle(order, OrderStatus.REJECTED, "not_at_broker",
                       "the broker has no record of it (never received); not sent again")
        else:
            svc.settle(order, OrderStatus.UNKNOWN, "missing_at_broker",
                       "working in the journal but unknown to the broker")
        return
    if bo.broker_order_id:
        svc.journal.map_broker_id(order.client_order_id, svc.broker.name, bo.broker_order_id, bo.perm_id,
                                  svc.clock.now())
    svc.adopt_modification(order, bo.quantity if bo.quantity != order.quantity else None,
                            bo.limit_price if bo.limit_price != order.request.limit_price else None,
                            bo.stop_price if bo.stop_price != order.request.stop_price and
                            order.request.trail_amount is None and order.request.trail_percent is None else None,
                            "broker", bo.revision)
    for ex in svc.broker.executions() if executions is None else executions:
        if ex.client_order_id == order.client_order_id:
            svc.apply_fill(order, ex)
    if bo.status in _FINAL:
        svc.settle(order, bo.status, _FINAL[bo.status], bo.reason or order.reason, source="broker")
    elif bo.status in (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED) and order.status in (
            OrderStatus.SUBMITTED, OrderStatus.UNKNOWN, OrderStatus.PENDING_CANCEL, OrderStatus.PENDING_MODIFY):
        # Still working at the broker (a lost cancel puts it back to working too).
        to = OrderStatus.ACCEPTED if order.filled_qty == 0 else OrderStatus.PARTIALLY_FILLED
        svc.settle(order, to, "reconciled", source="broker")
