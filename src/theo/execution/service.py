"""The order service (plan §4): create, modify, cancel, status, brackets and OCO groups.

Every order intent is recorded in the journal before it is sent (ARCHITECTURE.md §5); every broker event is
journaled, then handed to the service's listener (the trade manager) and published on the bus as
``orders.<event>`` for observers. Handling the same broker event twice changes nothing. A failure while
sending leaves the order UNKNOWN: it is resolved by asking the broker (:meth:`OrderService.reconcile`), never
by sending it again.

A bracket goes out IBKR-style: the entry and its protective children (stop-loss and take-profit, one OCO
group) are journaled together and handed to the broker together; the broker holds the children until the
entry fills and sizes them to what filled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from theo.core.bus.base import MessageBus
from theo.core.clock import Clock
from theo.core.errors import BrokerError, OrderError, OrderValidationError, RiskDenied
from theo.execution import ids
from theo.execution.broker import Broker
from theo.execution.journal import OrderJournal
from theo.model.enums import OrderStatus, OrderType, Side
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
from theo.model.order_states import TRANSITIONS, can_transition, transition
from theo.model.orders import Order, OrderRequest, OrderTag, validate_request

log = logging.getLogger(__name__)

PreTrade = Callable[[OrderRequest, Order | None], None]
Listener = Callable[[Order], None]

TOPICS = {OrderStatus.ACCEPTED: "orders.accepted", OrderStatus.REJECTED: "orders.rejected",
          OrderStatus.PARTIALLY_FILLED: "orders.partially_filled", OrderStatus.FILLED: "orders.filled",
          OrderStatus.CANCELLED: "orders.cancelled", OrderStatus.EXPIRED: "orders.expired",
          OrderStatus.UNKNOWN: "orders.unknown"}
_LEG = {OrderTag.STOP_LOSS: "sl", OrderTag.TAKE_PROFIT: "tp"}


class Lease(Protocol):
    """The single-writer lock the service holds while it trades."""

    def acquire(self) -> None: ...
    def heartbeat(self) -> None: ...
    def ensure(self) -> None: ...
    def release(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Bracket:
    """An entry with its protective children; the children work once the entry fills and cancel each other."""

    entry: Order
    children: tuple[Order, ...]


class OrderService:
    """Places and follows orders through one :class:`Broker`, journaling everything first."""

    def __init__(self, broker: Broker, journal: OrderJournal, clock: Clock, instruments: Mapping[str, Instrument],
                 bus: MessageBus | None = None, pre_trade: PreTrade | None = None, *,
                 lock: Lease | None = None) -> None:
        self.broker = broker
        self.journal = journal
        self.clock = clock
        self.instruments = instruments
        self.bus = bus
        self.pre_trade = pre_trade
        self.lock = lock
        self.listener: Listener | None = None  # the trade manager: every change of every order
        self.orders: dict[str, Order] = {}
        self._ids = ids.ClientOrderIds(journal)
        self._complete = False  # True once every journaled order is in memory (see preload)
        self.started = False
        self._handlers: dict[type, Callable[[Order, Any], None]] = {
            OrderAccepted: self._on_accepted, OrderFilled: self._on_fill, OrderPartiallyFilled: self._on_fill,
            OrderRejected: self._on_rejected, OrderCancelled: self._on_cancelled, OrderExpired: self._on_expired,
            OrderModified: self._on_modified}
        broker.subscribe(self.on_broker_event)

    # -- life cycle -------------------------------------------------------------------------------------
    def start(self) -> Any:
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

    def reconcile(self) -> Any:
        """Bring the journal in line with the broker (orders, fills, positions); see :mod:`reconciliation`."""
        from theo.execution.reconciliation import reconcile

        return reconcile(self)

    # -- operations (plan §4) -----------------------------------------------------------------------------
    def create_order(self, req: OrderRequest, *, source: str = "engine", actor: str = "",
                     client_order_id: str | None = None) -> Order:
        """Validate, check, journal and send one order; an existing id (same signal and leg) is returned as is.

        ``client_order_id`` names the order (the trade manager derives its exits' ids from the entry's).
        """
        self._require_started()
        validate_request(req, self.instruments.get(req.symbol))
        cid = client_order_id or self._new_id(req)
        existing = self.lookup(cid)
        if existing is not None:
            return existing
        now = self.clock.now()
        order = Order(cid, req, created_at=now, updated_at=now)
        if self._admit([order], [order], source, actor, now):
            self._hand_over(order)
        return order

    def submit_bracket(self, entry: OrderRequest, children: Sequence[OrderRequest], *, source: str = "engine",
                       actor: str = "") -> Bracket:
        """An entry with protective children (tags ``stop_loss``/``take_profit``), one OCO group, sent together.

        The children carry the entry's full quantity; the broker works them only once the entry has filled,
        sized to what filled. Only the entry passes the pre-trade checks (the children can only reduce).
        """
        self._require_started()
        inst = self.instruments.get(entry.symbol)
        validate_request(entry, inst)
        for child in children:
            validate_request(child, inst)
            if child.tag not in _LEG or child.side is entry.side or child.quantity != entry.quantity:
                raise OrderValidationError(f"bracket child {child.tag.value or '?'} of {entry.symbol}: a child is a "
                                           f"stop_loss or take_profit on the other side, for the entry's quantity")
        _check_bracket_sides(entry, children)
        cid = self._new_id(entry)
        existing = self.lookup(cid)
        if existing is not None:
            found = tuple(o for c in children if (o := self.lookup(ids.child(cid, _LEG[c.tag]))) is not None)
            return Bracket(existing, found)
        now = self.clock.now()
        parent = Order(cid, entry, created_at=now, updated_at=now)
        group = ids.child(cid, "oco") if len(children) > 1 else None
        legs = tuple(Order(ids.child(cid, _LEG[c.tag]), c, parent_id=cid, oco_group=group, created_at=now,
                           updated_at=now) for c in children)
        if self._admit([parent, *legs], [parent], source, actor, now):
            try:
                self.broker.submit_bracket(parent, legs)
            except BrokerError as exc:
                for order in (parent, *legs):
                    self._unknown(order, exc)
        return Bracket(parent, legs)

    def modify_order(self, client_order_id: str, *, quantity: Decimal | None = None,
                     limit_price: Decimal | None = None, stop_price: Decimal | None = None, source: str = "engine",
                     actor: str = "") -> Order:
        """Change the quantity, limit or stop of a working order (plan §9); the broker confirms it."""
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
        self.journal.record_event(client_order_id, "modify_requested", now, payload, source=source, actor=actor)
        self.broker.modify(client_order_id, quantity=quantity, limit_price=limit_price, stop_price=stop_price)
        return order

    def cancel_order(self, client_order_id: str, *, source: str = "engine", actor: str = "",
                     reason: str = "") -> Order:
        """Cancel a working order; cancelling a finished order changes nothing."""
        self._check_lock()
        order = self._get(client_order_id)
        if order.is_terminal:
            return order
        if order.status is OrderStatus.CREATED:
            self.settle(order, OrderStatus.CANCELLED, "cancelled_before_send", reason or "cancelled before it was sent",
                        source=source, actor=actor)
            return order
        if can_transition(order.status, OrderStatus.PENDING_CANCEL):
            self._set_status(order, OrderStatus.PENDING_CANCEL, "cancel_requested", {"reason": reason}, source,
                             actor)
        else:
            self.journal.record_event(client_order_id, "cancel_requested", self.clock.now(), {"reason": reason},
                                      source=source, actor=actor)
        try:
            self.broker.cancel(client_order_id)
        except BrokerError as exc:
            log.warning("cancel of %s failed at the broker: %s; reconcile will settle it", client_order_id, exc)
        return order

    def get_order_status(self, client_order_id: str) -> Order:
        """The order with its fills; an UNKNOWN order is first resolved by asking the broker."""
        order = self._get(client_order_id)
        if order.status is OrderStatus.UNKNOWN:
            from theo.execution.reconciliation import resolve_order

            resolve_order(self, order)
        return order

    def preload(self) -> int:
        """Load every journaled order into memory; from then on an id not in memory is not in the journal.

        For a service that is the journal's single writer (the engine holds the single-writer lock, or owns
        an in-memory journal): the check that a signal's order was not sent already then costs no query.
        """
        for order in self.journal.load_orders():
            self.orders.setdefault(order.client_order_id, order)
        self._complete = True
        return len(self.orders)

    def lookup(self, client_order_id: str) -> Order | None:
        """The order with this id from memory or the journal, or ``None`` when there is none."""
        order = self.orders.get(client_order_id)
        if order is None and not self._complete:
            order = self.journal.load_order(client_order_id)
            if order is not None:
                self.orders[client_order_id] = order
        return order

    def open_orders(self) -> list[Order]:
        return self.journal.load_orders(open_only=True)

    def positions(self) -> dict[str, Decimal]:
        """Net positions by symbol as the journal's fills add up."""
        return self.journal.positions()

    # -- broker events --------------------------------------------------------------------------------------
    def on_broker_event(self, event: BrokerEvent) -> None:
        """Journal and apply one broker event; a repeated or stale event changes nothing."""
        order = self.orders.get(event.client_order_id) or self.lookup(event.client_order_id)
        if order is None:
            log.warning("broker event %s for an order this journal does not know", event)
            return
        self._handlers[type(event)](order, event)

    def apply_fill(self, order: Order, execution: Execution) -> bool:
        """Add one execution (once) and move the order to PARTIALLY_FILLED or FILLED."""
        prev = order.status
        if not order.add_fill(execution):
            return False
        now = self.clock.now()
        if order.is_terminal:
            log.warning("fill %s arrived for %s order %s; journaled, status kept", execution.exec_id,
                        prev.value, order.client_order_id)
        else:
            to = OrderStatus.FILLED if order.filled_qty >= order.request.quantity else OrderStatus.PARTIALLY_FILLED
            if to is prev:
                order.updated_at = now
            else:
                transition(order, to, now)
        self.journal.record_fill(order, execution, prev, now)
        self._publish(order)
        return True

    def settle(self, order: Order, to: OrderStatus, kind: str, reason: str = "", *, source: str = "engine",
               actor: str = "", broker_ts: datetime | None = None) -> bool:
        """Move ``order`` to ``to`` (a final or resolved status) with the event ``kind``; ``False`` if illegal."""
        payload: dict[str, Any] = {"reason": reason} if reason else {}
        if broker_ts is not None:
            payload["broker_ts"] = broker_ts.isoformat()
        return self._set_status(order, to, kind, payload, source, actor, reason=reason or None)

    def adopt_modification(self, order: Order, quantity: Decimal | None, limit_price: Decimal | None,
                           stop_price: Decimal | None, source: str, revision: int = 0) -> None:
        """Take over a change the broker made or confirmed (quantity, limit, stop); repeats change nothing."""
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
        else:
            self._publish(order)

    # -- event handlers ---------------------------------------------------------------------------------------
    def _on_accepted(self, order: Order, event: OrderAccepted) -> None:
        if event.broker_order_id:
            self.journal.map_broker_id(order.client_order_id, self.broker.name, event.broker_order_id,
                                       event.perm_id, self.clock.now())
            order.broker_order_id = event.broker_order_id
        if order.status is OrderStatus.SUBMITTED or order.status is OrderStatus.UNKNOWN:
            self._set_status(order, OrderStatus.ACCEPTED, "accepted", {})

    def _on_fill(self, order: Order, event: OrderFilled | OrderPartiallyFilled) -> None:
        if event.execution is not None:
            self.apply_fill(order, event.execution)

    def _on_rejected(self, order: Order, event: OrderRejected) -> None:
        self.settle(order, OrderStatus.REJECTED, "rejected", event.reason, source="broker", broker_ts=event.ts)

    def _on_cancelled(self, order: Order, event: OrderCancelled) -> None:
        self.settle(order, OrderStatus.CANCELLED, "cancelled", event.reason, source="broker", broker_ts=event.ts)

    def _on_expired(self, order: Order, event: OrderExpired) -> None:
        self.settle(order, OrderStatus.EXPIRED, "expired", event.reason, source="broker", broker_ts=event.ts)

    def _on_modified(self, order: Order, event: OrderModified) -> None:
        if event.revision and event.revision <= order.revision:
            return  # already applied, or older than what is applied: a replay
        self.adopt_modification(order, event.quantity, event.limit_price, event.stop_price, "broker", event.revision)

    # -- internals -----------------------------------------------------------------------------------------
    def _require_started(self) -> None:
        if not self.started:
            raise OrderError("the order service has not reconciled with the broker yet: call start() before "
                             "placing orders")
        if self.lock is not None:
            self.lock.ensure()

    def _check_lock(self) -> None:
        """Refuse to act once another instance took the single-writer lock (renews it while we trade)."""
        if self.lock is not None:
            self.lock.ensure()

    def _new_id(self, req: OrderRequest) -> str:
        if req.signal_id is not None:
            return ids.for_signal(req.strategy, req.signal_id, req.tag.value or "entry")
        return self._ids.new(req.strategy, self.clock.now())

    def _get(self, cid: str) -> Order:
        order = self.lookup(cid)
        if order is None:
            raise OrderError(f"no order {cid!r} in the journal; `theo orders` lists the known ones")
        return order

    def _admit(self, orders: list[Order], checked: list[Order], source: str, actor: str, now: datetime) -> bool:
        """Run the pre-trade check on ``checked``, then journal ``orders`` as SUBMITTED (or REJECTED, unsent)."""
        refusal = self.broker.refusal()  # e.g. the connection to the broker is down: never trade blind
        denial = f"not sent: {refusal}" if refusal else ""
        if not denial and self.pre_trade is not None:
            for order in checked:
                try:
                    self.pre_trade(order.request, None)
                except RiskDenied as exc:
                    denial = f"risk denied: {exc}"
                    break
        status = OrderStatus.REJECTED if denial else OrderStatus.SUBMITTED
        for order in orders:
            order.status = status
            if denial:
                order.reason = denial
            self.orders[order.client_order_id] = order
        self.journal.record_intents(orders, now, source=source, actor=actor)
        if denial:
            for order in orders:
                self._publish(order)
        return not denial

    def _hand_over(self, order: Order) -> None:
        """Send a journaled SUBMITTED order; a failure leaves it UNKNOWN until the broker is asked."""
        try:
            self.broker.submit(order)
        except BrokerError as exc:
            self._unknown(order, exc)

    def mark_unknown(self, order: Order, why: str) -> None:
        """The broker did not answer about a sent order: UNKNOWN until the broker is asked, never sent again."""
        self._unknown(order, BrokerError(why))

    def _unknown(self, order: Order, exc: BrokerError) -> None:
        log.warning("submit of %s failed: %s; it is UNKNOWN until the broker is asked", order.client_order_id, exc)
        if order.status is OrderStatus.SUBMITTED:
            self._set_status(order, OrderStatus.UNKNOWN, "submit_failed", {"error": str(exc)}, "engine", "")

    def _set_status(self, order: Order, to: OrderStatus, kind: str, payload: dict[str, Any],
                    source: str = "broker", actor: str = "", reason: str | None = None) -> bool:
        prev = order.status
        if prev is to and to is not OrderStatus.PARTIALLY_FILLED:
            return False
        if to not in TRANSITIONS[prev]:
            log.warning("order %s: ignoring %s while %s (stale or repeated event)", order.client_order_id,
                        to.value, prev.value)
            return False
        now = self.clock.now()
        order.status, order.updated_at = to, now
        if reason is not None:
            order.reason = reason
        self.journal.record_status(order, kind, prev, now, payload=payload, source=source, actor=actor)
        self._publish(order)
        return True

    def _publish(self, order: Order) -> None:
        if self.listener is not None:
            self.listener(order)
        bus = self.bus
        if bus is not None:
            topic = TOPICS.get(order.status)
            if topic is not None and bus.has_subscribers(topic):
                bus.publish(topic, order)


def _check_bracket_sides(entry: OrderRequest, children: Sequence[OrderRequest]) -> None:
    """The stop below and the target above a buy's entry price (the other way round for a sell)."""
    ref = entry.limit_price if entry.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT) else entry.stop_price
    buy = entry.side is Side.BUY
    stop = next((c.stop_price for c in children if c.tag is OrderTag.STOP_LOSS), None)
    target = next((c.limit_price for c in children if c.tag is OrderTag.TAKE_PROFIT), None)
    ok = True
    if stop is not None and target is not None:
        ok = stop < target if buy else stop > target
    if ok and ref is not None:
        ok = (stop is None or (stop < ref if buy else stop > ref)) and \
             (target is None or (target > ref if buy else target < ref))
    if not ok:
        where = "below" if buy else "above"
        raise OrderValidationError(f"bracket {entry.side.value} {entry.symbol}: stop_loss={stop} must be {where} "
                                   f"the entry ({ref}) and take_profit={target} on the other side")
