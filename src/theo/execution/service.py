"""The order service (plan §4): create, modify, cancel, status, brackets and OCO groups.

Every order intent is committed to the journal before it is sent (ARCHITECTURE.md §5); every broker event
is journaled and published on the bus as ``orders.<event>`` with the :class:`Order`. Handling the same
broker event twice changes nothing. A failure while sending leaves the order UNKNOWN: it is resolved by
asking the broker (:meth:`OrderService.reconcile`), never by sending it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from theo.core.bus.base import MessageBus
from theo.core.clock import Clock
from theo.core.errors import BrokerError, OrderError, OrderValidationError, RiskDenied
from theo.execution import ids
from theo.execution.broker import Broker
from theo.execution.journal import OrderJournal
from theo.execution.lock import SingleWriterLock
from theo.execution.reconciliation import ReconcileReport, reconcile
from theo.model.enums import OrderStatus, OrderType, Side, TimeInForce
from theo.model.events import (
    BrokerEvent,
    Execution,
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderPartiallyFilled,
    OrderRejected,
)
from theo.model.instruments import Instrument
from theo.model.order_states import can_transition, transition
from theo.model.orders import Bracket, Order, OrderRequest, validate_request

log = logging.getLogger(__name__)

PreTrade = Callable[[OrderRequest, Order | None], None]

TOPICS = {OrderStatus.ACCEPTED: "orders.accepted", OrderStatus.REJECTED: "orders.rejected",
          OrderStatus.PARTIALLY_FILLED: "orders.partially_filled", OrderStatus.FILLED: "orders.filled",
          OrderStatus.CANCELLED: "orders.cancelled", OrderStatus.EXPIRED: "orders.expired",
          OrderStatus.UNKNOWN: "orders.unknown"}


class OrderService:
    """Places and follows orders through one :class:`Broker`, journaling everything first."""

    def __init__(self, broker: Broker, journal: OrderJournal, clock: Clock, instruments: Mapping[str, Instrument],
                 bus: MessageBus | None = None, pre_trade: PreTrade | None = None, *,
                 lock: SingleWriterLock | None = None) -> None:
        self.broker = broker
        self.journal = journal
        self.clock = clock
        self.instruments = instruments
        self.bus = bus
        self.pre_trade = pre_trade
        self.lock = lock
        self.orders: dict[str, Order] = {}
        self._ids = ids.ClientOrderIds(journal)
        self._complete = False  # True once every journaled order is in memory (see preload)
        self.started = False
        broker.subscribe(self.on_broker_event)

    # -- life cycle -------------------------------------------------------------------------------------
    def start(self) -> ReconcileReport:
        """Take the single-writer lock, connect, reconcile with the broker; trade only after this."""
        if self.lock is not None:
            self.lock.acquire()
        self.broker.connect()
        report = self.reconcile()
        self.started = True
        return report

    def stop(self) -> None:
        self.started = False
        self.broker.disconnect()
        if self.lock is not None:
            self.lock.release()

    def heartbeat(self) -> None:
        """Keep the single-writer lock (call it more often than ``execution.lock_ttl_seconds``)."""
        if self.lock is not None:
            self.lock.heartbeat()

    def reconcile(self) -> ReconcileReport:
        """Bring the journal in line with the broker (orders, fills, positions); see :mod:`recovery`."""
        return reconcile(self)

    # -- operations (plan §4) -----------------------------------------------------------------------------
    def create_order(self, req: OrderRequest, *, source: str = "engine", actor: str = "") -> Order:
        """Validate, check, journal and send one order; an existing id (same signal and leg) is returned as is."""
        self._require_started()
        validate_request(req, self.instruments.get(req.symbol))
        cid = self._new_id(req, req.tag or "entry")
        # A sequence id is new by construction (the single writer continues the journal's count), so only a
        # signal's id can already be in the journal: no read on the way to the broker for the others.
        existing = self._lookup(cid) if req.signal_id is not None else self.orders.get(cid)
        if existing is not None:
            return existing
        order = Order(cid, req, created_at=self.clock.now(), updated_at=self.clock.now())
        if self._admit([order], source, actor, send=order):
            self._hand_over(order)
        return order

    def create_bracket_order(self, entry: OrderRequest, stop_loss: Decimal, take_profit: Decimal, *,
                             source: str = "engine", actor: str = "") -> Bracket:
        """Entry plus a stop-loss and a take-profit sent when the entry fills, sized to the fill, OCO."""
        self._require_started()
        inst = self.instruments.get(entry.symbol)
        validate_request(entry, inst)
        assert inst is not None
        exit_tif = TimeInForce.GTC if entry.tif in (TimeInForce.IOC, TimeInForce.FOK) else entry.tif
        common: dict[str, Any] = {"symbol": entry.symbol, "side": entry.side.opposite, "quantity": entry.quantity,
                                  "tif": exit_tif, "routing": entry.routing, "allocation": entry.allocation,
                                  "product_type": entry.product_type, "strategy": entry.strategy,
                                  "signal_id": entry.signal_id, "reduce_only": True}
        stop_req = OrderRequest(order_type=OrderType.STOP, stop_price=stop_loss, tag="stop_loss", **common)
        target_req = OrderRequest(order_type=OrderType.LIMIT, limit_price=take_profit, tag="take_profit", **common)
        validate_request(stop_req, inst)
        validate_request(target_req, inst)
        _check_bracket_sides(entry, stop_loss, take_profit)
        cid = self._new_id(entry, entry.tag or "entry")
        existing = self._lookup(cid)
        if existing is not None:
            stop, target = self._lookup(ids.child(cid, "sl")), self._lookup(ids.child(cid, "tp"))
            if stop is None or target is None:
                raise OrderError(f"order {cid} exists but is not a bracket entry")
            return Bracket(existing, stop, target)
        now = self.clock.now()
        group = ids.child(cid, "oco")
        parent = Order(cid, replace(entry, tag=entry.tag or "entry"), created_at=now, updated_at=now)
        stop = Order(ids.child(cid, "sl"), stop_req, parent_id=cid, oco_group=group, created_at=now, updated_at=now)
        target = Order(ids.child(cid, "tp"), target_req, parent_id=cid, oco_group=group, created_at=now,
                       updated_at=now)
        if self._admit([parent, stop, target], source, actor, checked=[parent], send=parent):
            self._hand_over(parent)
        return Bracket(parent, stop, target)

    def create_oco_order(self, reqs: Sequence[OrderRequest], *, source: str = "engine",
                         actor: str = "") -> list[Order]:
        """Orders of which the first to fill cancels the others (the broker enforces it)."""
        self._require_started()
        if len(reqs) < 2:
            raise OrderValidationError(f"an OCO group needs at least two orders, got {len(reqs)}")
        for req in reqs:
            validate_request(req, self.instruments.get(req.symbol))
        now = self.clock.now()
        cids = [self._new_id(req, f"{req.tag or 'oco'}{i}") for i, req in enumerate(reqs)]
        found = [self._lookup(c) for c in cids]
        if all(o is not None for o in found):
            return [o for o in found if o is not None]
        group = ids.child(cids[0], "oco")
        orders = [Order(c, r, oco_group=group, created_at=now, updated_at=now) for c, r in zip(cids, reqs, strict=True)]
        if self._admit(orders, source, actor):
            for order in orders:
                self._send(order, source, actor)
        return orders

    def modify_order(self, client_order_id: str, *, quantity: Decimal | None = None,
                     limit_price: Decimal | None = None, stop_price: Decimal | None = None, source: str = "engine",
                     actor: str = "") -> Order:
        """Change the quantity, limit or stop of an open order (plan §9); the broker confirms it."""
        self._check_lock()
        order = self._get(client_order_id)
        if not order.is_open or order.status is OrderStatus.PENDING_CANCEL:
            raise OrderError(f"order {client_order_id} is {order.status.value}; only a working order can be modified")
        req = order.request
        new = replace(req, quantity=req.quantity if quantity is None else quantity,
                      limit_price=req.limit_price if limit_price is None else limit_price,
                      stop_price=req.stop_price if stop_price is None else stop_price)
        validate_request(new, self.instruments.get(req.symbol))
        if new.quantity <= order.filled_qty:
            raise OrderValidationError(f"order {client_order_id}: quantity={new.quantity} must exceed the filled "
                                       f"{order.filled_qty}; cancel the order instead")
        payload = {k: str(v) for k, v in (("quantity", quantity), ("limit_price", limit_price),
                                          ("stop_price", stop_price)) if v is not None}
        now = self.clock.now()
        if self.pre_trade is not None:
            try:
                self.pre_trade(new, order)
            except RiskDenied as exc:
                self.journal.record_event(client_order_id, "modify_denied", now, {**payload, "reason": str(exc)},
                                          source=source, actor=actor)
                raise
        if order.status is OrderStatus.CREATED:  # a bracket exit not sent yet: change the intent itself
            order.request = new
            self.journal.record_modification(order, now, payload, source=source, actor=actor)
            return order
        self.journal.record_event(client_order_id, "modify_requested", now, payload, source=source, actor=actor)
        self.broker.modify(client_order_id, quantity=quantity, limit_price=limit_price, stop_price=stop_price)
        return order

    def cancel_order(self, client_order_id: str, *, source: str = "engine", actor: str = "",
                     reason: str = "") -> Order:
        """Cancel an open order; cancelling a finished order changes nothing."""
        self._check_lock()
        order = self._get(client_order_id)
        if order.is_terminal:
            return order
        now = self.clock.now()
        if order.status is OrderStatus.CREATED:
            self._set_status(order, OrderStatus.CANCELLED, "cancelled_before_send", {"reason": reason}, source, actor,
                             reason=reason or "cancelled before it was sent")
            self._release_children(order)
            return order
        if can_transition(order.status, OrderStatus.PENDING_CANCEL):
            self._set_status(order, OrderStatus.PENDING_CANCEL, "cancel_requested", {"reason": reason}, source,
                             actor)
        else:
            self.journal.record_event(client_order_id, "cancel_requested", now, {"reason": reason}, source=source,
                                      actor=actor)
        try:
            self.broker.cancel(client_order_id)
        except BrokerError as exc:
            log.warning("cancel of %s failed at the broker: %s; reconcile will settle it", client_order_id, exc)
        return order

    def get_order_status(self, client_order_id: str) -> Order:
        """The order with its fills; an UNKNOWN order is first resolved by asking the broker."""
        order = self._get(client_order_id)
        if order.status is OrderStatus.UNKNOWN:
            self.resolve(order)
        return order

    def preload(self) -> int:
        """Load every journaled order into memory; from then on an id not in memory is not in the journal.

        For a service that is the journal's single writer (the engine holds the single-writer lock, or owns a
        scratch journal): the check that a signal's order was not sent already then costs no query.
        """
        for order in self.journal.load_orders():
            self.orders.setdefault(order.client_order_id, order)
        self._complete = True
        return len(self.orders)

    def find(self, client_order_id: str) -> Order | None:
        """The order with this id from memory or the journal, or ``None`` when there is none."""
        return self._lookup(client_order_id)

    def open_orders(self) -> list[Order]:
        return [o for o in self.journal.load_orders(open_only=True)]

    def positions(self) -> dict[str, Decimal]:
        """Net positions by symbol as the journal's fills add up."""
        return self.journal.positions()

    # -- broker events --------------------------------------------------------------------------------------
    def on_broker_event(self, event: BrokerEvent) -> None:
        """Journal and apply one broker event; a repeated or stale event changes nothing."""
        order = self._lookup(event.client_order_id)
        if order is None:
            log.warning("broker event %s for an order this journal does not know", event)
            return
        if isinstance(event, OrderAccepted):
            self.journal.map_broker_id(order.client_order_id, self.broker.name, event.broker_order_id,
                                       event.perm_id, self.clock.now())
            order.broker_order_id = event.broker_order_id or order.broker_order_id
            if order.status in (OrderStatus.SUBMITTED, OrderStatus.UNKNOWN):
                self._set_status(order, OrderStatus.ACCEPTED, "accepted", {"broker_order_id": event.broker_order_id,
                                                                           "broker_ts": event.ts.isoformat()})
        elif isinstance(event, OrderFilled | OrderPartiallyFilled):
            if event.execution is not None:
                self.apply_fill(order, event.execution)
        elif isinstance(event, OrderRejected):
            self._finish(order, OrderStatus.REJECTED, "rejected", event.reason, event.ts)
        elif isinstance(event, OrderCancelled):
            self._finish(order, OrderStatus.CANCELLED, "cancelled", event.reason, event.ts)
        elif isinstance(event, OrderExpired):
            self._finish(order, OrderStatus.EXPIRED, "expired", event.reason, event.ts)
        elif isinstance(event, OrderModified):
            if event.revision and event.revision <= order.revision:
                return  # already applied, or older than what is applied: a replay
            self._apply_modification(order, event.quantity, event.limit_price, event.stop_price, "broker",
                                     event.revision)

    def apply_fill(self, order: Order, execution: Execution) -> bool:
        """Add one execution (once) and move the order to PARTIALLY_FILLED or FILLED."""
        prev = order.status
        if not order.add_fill(execution):
            return False
        if not order.is_terminal:
            to = OrderStatus.FILLED if order.filled_qty >= order.quantity else OrderStatus.PARTIALLY_FILLED
            transition(order, to, self.clock.now())
        else:
            log.warning("fill %s arrived for %s order %s; journaled, status kept", execution.exec_id,
                        prev.value, order.client_order_id)
        self.journal.record_fill(order, execution, prev, self.clock.now())
        self._publish(order)
        self._release_children(order)
        return True

    def resolve(self, order: Order) -> None:
        """Settle an order whose fate is unknown by asking the broker (never by sending it again)."""
        from theo.execution.reconciliation import resolve_order

        resolve_order(self, order)

    # -- internals -----------------------------------------------------------------------------------------
    def _require_started(self) -> None:
        if not self.started:
            raise OrderError("the order service has not reconciled with the broker yet: call start() before "
                             "placing orders")
        self._check_lock()

    def _check_lock(self) -> None:
        """Refuse to act once another instance took the single-writer lock (renews it while we trade)."""
        if self.lock is not None:
            self.lock.ensure()

    def _new_id(self, req: OrderRequest, leg: str) -> str:
        if req.signal_id is not None:
            return ids.for_signal(req.strategy, req.signal_id, leg)
        return self._ids.new(req.strategy, self.clock.now())

    def _lookup(self, cid: str) -> Order | None:
        order = self.orders.get(cid)
        if order is None and not self._complete:
            order = self.journal.load_order(cid)
            if order is not None:
                self.orders[cid] = order
        return order

    def _get(self, cid: str) -> Order:
        order = self._lookup(cid)
        if order is None:
            raise OrderError(f"no order {cid!r} in the journal; `theo orders` lists the known ones")
        return order

    def _admit(self, orders: list[Order], source: str, actor: str, checked: list[Order] | None = None,
               send: Order | None = None) -> bool:
        """Run the pre-trade check, then journal the intents; a denial journals them REJECTED (nothing sent).

        ``send`` (one of ``orders``) is journaled SUBMITTED with its intent in the same transaction; the
        caller then hands it to the broker with :meth:`_hand_over`.
        """
        denial = ""
        if self.pre_trade is not None:
            for order in checked if checked is not None else orders:
                try:
                    self.pre_trade(order.request, None)
                except RiskDenied as exc:
                    denial = str(exc)
                    break
        if denial:
            for order in orders:
                order.status, order.reason = OrderStatus.REJECTED, f"risk denied: {denial}"
        elif send is not None:
            transition(send, OrderStatus.SUBMITTED, self.clock.now())
        self.journal.record_intents(orders, self.clock.now(), source=source, actor=actor)
        for order in orders:
            self.orders[order.client_order_id] = order
            if denial:
                self._publish(order)
        return not denial

    def _send(self, order: Order, source: str = "engine", actor: str = "") -> None:
        """Journal the SUBMITTED status of a CREATED intent (a bracket exit), then hand it to the broker."""
        self._set_status(order, OrderStatus.SUBMITTED, "submit", {}, source, actor)
        self._hand_over(order)

    def _hand_over(self, order: Order) -> None:
        """Send a journaled SUBMITTED order; a failure leaves it UNKNOWN until the broker is asked."""
        try:
            self.broker.submit(order)
        except BrokerError as exc:
            log.warning("submit of %s failed: %s; it is UNKNOWN until the broker is asked", order.client_order_id,
                        exc)
            if order.status is OrderStatus.SUBMITTED:
                self._set_status(order, OrderStatus.UNKNOWN, "submit_failed", {"error": str(exc)}, "engine", "")

    def _set_status(self, order: Order, to: OrderStatus, kind: str, payload: dict[str, Any],
                    source: str = "broker", actor: str = "", reason: str | None = None) -> bool:
        if order.status is to and to is not OrderStatus.PARTIALLY_FILLED:
            return False
        if not can_transition(order.status, to):
            log.warning("order %s: ignoring %s while %s (stale or repeated event)", order.client_order_id,
                        to.value, order.status.value)
            return False
        prev = transition(order, to, self.clock.now())
        if reason is not None:
            order.reason = reason
        self.journal.record_status(order, kind, prev, self.clock.now(), payload=payload, source=source, actor=actor)
        self._publish(order)
        return True

    def _finish(self, order: Order, to: OrderStatus, kind: str, reason: str, broker_ts: datetime | None = None) -> None:
        """A final status from the broker; ``broker_ts`` (when it happened there) is kept with the event."""
        payload: dict[str, Any] = {"reason": reason}
        if broker_ts is not None:
            payload["broker_ts"] = broker_ts.isoformat()
        if self._set_status(order, to, kind, payload, reason=reason or order.reason):
            self._release_children(order)

    def _apply_modification(self, order: Order, quantity: Decimal | None, limit_price: Decimal | None,
                            stop_price: Decimal | None, source: str, revision: int = 0) -> None:
        req = order.request
        new = replace(req, quantity=req.quantity if quantity is None else quantity,
                      limit_price=req.limit_price if limit_price is None else limit_price,
                      stop_price=req.stop_price if stop_price is None else stop_price)
        if new == req and revision <= order.revision:
            return
        order.request = new
        order.revision = max(order.revision, revision)
        payload = {k: str(v) for k, v in (("quantity", quantity), ("limit_price", limit_price),
                                          ("stop_price", stop_price)) if v is not None}
        self.journal.record_modification(order, self.clock.now(), payload, source=source)
        if order.status is OrderStatus.PENDING_MODIFY:
            self._set_status(order, OrderStatus.ACCEPTED, "modified", payload)

    def _release_children(self, parent: Order) -> None:
        """Keep a bracket's exits in step with its entry (idempotent; also run by recovery).

        The exits go out with the entry's first fill, sized to what it filled, and grow with its later
        fills, so a filled position is never left without its stop; they are dropped when the entry ends
        without a fill.
        """
        children = self._children(parent.client_order_id)
        filled = parent.filled_qty
        for child in children:
            if child.status is OrderStatus.CREATED:
                if filled > 0:
                    if child.request.quantity != filled:
                        child.request = replace(child.request, quantity=filled)
                        self.journal.record_modification(child, self.clock.now(), {"quantity": str(filled)},
                                                         source="engine")
                    self._send(child)
                elif parent.is_terminal:
                    self._set_status(child, OrderStatus.CANCELLED, "parent_not_filled",
                                     {"parent": parent.client_order_id}, "engine",
                                     reason=f"entry {parent.client_order_id} ended without a fill")
            elif child.status in (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED) and child.quantity < filled:
                if any(o.filled_qty > 0 for o in children):
                    continue  # an exit already traded: the broker has cancelled (or will cancel) the other
                self.journal.record_event(child.client_order_id, "modify_requested", self.clock.now(),
                                          {"quantity": str(filled), "why": "entry filled more"})
                try:
                    self.broker.modify(child.client_order_id, quantity=filled)
                except BrokerError as exc:
                    log.warning("could not grow exit %s to %s: %s", child.client_order_id, filled, exc)

    def _children(self, parent_id: str) -> list[Order]:
        out = []
        for leg in ("sl", "tp"):
            child = self._lookup(ids.child(parent_id, leg))
            if child is not None and child.parent_id == parent_id:
                out.append(child)
        return out

    def _publish(self, order: Order) -> None:
        topic = TOPICS.get(order.status)
        if self.bus is not None and topic is not None:
            self.bus.publish(topic, order)


def _check_bracket_sides(entry: OrderRequest, stop_loss: Decimal, take_profit: Decimal) -> None:
    ref = entry.limit_price if entry.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT) else entry.stop_price
    buy = entry.side is Side.BUY
    ok = stop_loss < take_profit if buy else stop_loss > take_profit
    if ok and ref is not None:
        ok = stop_loss < ref < take_profit if buy else take_profit < ref < stop_loss
    if not ok:
        where = "below" if buy else "above"
        raise OrderValidationError(f"bracket {entry.side.value} {entry.symbol}: stop_loss={stop_loss} must be {where} "
                                   f"the entry ({ref}) and take_profit={take_profit} on the other side")
