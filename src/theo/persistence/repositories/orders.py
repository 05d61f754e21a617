"""The order journal in SQL (SQLite or PostgreSQL): the :class:`~theo.execution.journal.OrderJournal` of paper
and live trading. Intents before they are sent, every event, every fill (de-duplicated by exec id).

The ``orders`` row is the current state of an order; ``order_events`` and ``fills`` are append-only. A fill and
the order state it leads to are written in one transaction, so the journal never holds one without the other.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from time import perf_counter
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, func, insert, select, update

from theo.core.histogram import WRITE_SECONDS, Histogram
from theo.model.enums import Allocation, OrderStatus, OrderType, ProductType, Routing, Side, TimeInForce
from theo.model.events import Charges, Execution
from theo.model.money import ZERO
from theo.model.orders import OPEN_STATUSES, Order, OrderRequest, OrderTag
from theo.persistence.db import transaction
from theo.persistence.models.orders import BrokerOrderIdRow, FillRow, OrderEventRow, OrderRow
from theo.persistence.prepared import HeldConnection, PreparedInsert, PreparedQuery, PreparedUpdate


def _request_fields(req: OrderRequest) -> dict[str, Any]:
    return {"symbol": req.symbol, "side": req.side.value, "quantity": req.quantity,
            "order_type": req.order_type.value, "limit_price": req.limit_price, "stop_price": req.stop_price,
            "trail_amount": req.trail_amount, "trail_percent": req.trail_percent,
            "trail_trigger": req.trail_trigger, "tif": req.tif.value,
            "routing": req.routing.value, "allocation": req.allocation.value,
            "product_type": req.product_type.value, "outside_rth": req.outside_rth,
            "reduce_only": req.reduce_only, "tag": req.tag, "strategy": req.strategy, "signal_id": req.signal_id}


ORDERS = cast(Table, OrderRow.__table__)
EVENTS = cast(Table, OrderEventRow.__table__)
FILLS = cast(Table, FillRow.__table__)
BROKER_IDS = cast(Table, BrokerOrderIdRow.__table__)

_INSERT_ORDERS = insert(ORDERS)
_INSERT_EVENTS = insert(EVENTS)

log = logging.getLogger(__name__)


_STATE = ("status", "filled_qty", "avg_fill_price", "reason", "updated_at")
_REQUEST = ("quantity", "limit_price", "stop_price", "revision")


def _state(order: Order, ts: datetime) -> dict[str, Any]:
    return {"status": order.status.value, "filled_qty": order.filled_qty, "avg_fill_price": order.avg_fill_price,
            "reason": order.reason, "updated_at": ts}


def _event(cid: str, ts: datetime, kind: str, status_from: OrderStatus | None, status_to: OrderStatus | None,
           payload: dict[str, Any], source: str, actor: str) -> dict[str, Any]:
    return {"client_order_id": cid, "ts": ts, "kind": kind,
            "status_from": status_from.value if status_from else None,
            "status_to": status_to.value if status_to else None, "payload": payload, "source": source,
            "actor": actor}


def _norm(value: Decimal | None) -> Decimal | None:
    """Numeric columns come back with trailing zeros (SQLite, PostgreSQL): give back a tidy Decimal."""
    if value is None:
        return None
    d = Decimal(value)
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()


def row_to_order(row: OrderRow, fills: list[Execution]) -> Order:
    req = OrderRequest(symbol=row.symbol, side=Side(row.side), quantity=_norm(row.quantity) or ZERO,
                       order_type=OrderType(row.order_type), limit_price=_norm(row.limit_price),
                       stop_price=_norm(row.stop_price), trail_amount=_norm(row.trail_amount),
                       trail_percent=_norm(row.trail_percent), trail_trigger=_norm(row.trail_trigger),
                       tif=TimeInForce(row.tif),
                       routing=Routing(row.routing), allocation=Allocation(row.allocation),
                       product_type=ProductType(row.product_type), outside_rth=row.outside_rth,
                       strategy=row.strategy, signal_id=row.signal_id, reduce_only=row.reduce_only,
                       tag=OrderTag(row.tag))
    order = Order(client_order_id=row.client_order_id, request=req, status=OrderStatus(row.status),
                  parent_id=row.parent_id, oco_group=row.oco_group, created_at=row.created_at,
                  updated_at=row.updated_at, reason=row.reason, revision=row.revision)
    for f in fills:
        order.add_fill(f)
    return order


def fill_to_execution(row: FillRow) -> Execution:
    charges = Charges(commission=_norm(row.commission) or ZERO, exchange_fee=_norm(row.exchange_fee) or ZERO,
                      clearing_fee=_norm(row.clearing_fee) or ZERO, sec_fee=_norm(row.sec_fee) or ZERO,
                      finra_taf=_norm(row.finra_taf) or ZERO, cat_fee=_norm(row.cat_fee) or ZERO,
                      orf=_norm(row.orf) or ZERO, occ_fee=_norm(row.occ_fee) or ZERO,
                      nfa_fee=_norm(row.nfa_fee) or ZERO, other_fee=_norm(row.other_fee) or ZERO,
                      source="broker" if row.charges_source == "broker" else "model",
                      schedule_version=row.fee_schedule_version)
    return Execution(exec_id=row.exec_id, client_order_id=row.client_order_id, symbol=row.symbol,
                     side=Side(row.side), quantity=_norm(row.quantity) or ZERO, price=_norm(row.price) or ZERO,
                     ts=row.ts, charges=charges)


class SqlOrderJournal:
    """Durable record of orders, their events and fills in the store (SQLite or PostgreSQL).

    Durability: every write is one committed transaction; on SQLite the store runs in WAL mode with
    ``synchronous=NORMAL`` (docs/storage.md), which survives a crash of the process.

    ``write_seconds`` times each write transaction from its begin to its commit (two ``perf_counter`` reads and
    a bucket increment beside a commit of 0.1 ms or more); the run exports it as
    ``theo_journal_write_seconds``. A write that fails is not counted.
    """

    def __init__(self, engine: Engine, *, broker: str = "", account: str = "") -> None:
        self.engine = engine
        self.broker = broker
        self.account = account
        self._held = HeldConnection(engine)
        self.write_seconds = Histogram(WRITE_SECONDS)
        sqlite = engine.dialect.name == "sqlite"
        self._insert_orders = PreparedInsert(ORDERS, engine.dialect) if sqlite else None
        self._insert_events = PreparedInsert(EVENTS, engine.dialect) if sqlite else None
        self._insert_fills = PreparedInsert(FILLS, engine.dialect) if sqlite else None
        self._set_state = PreparedUpdate(ORDERS, engine.dialect, _STATE, "client_order_id",
                                         ("entered_at", "cancelled_at")) if sqlite else None
        self._find_broker_id = PreparedQuery(BROKER_IDS, engine.dialect, ("id", "client_order_id", "perm_id"),
                                             ("broker", "broker_order_id")) if sqlite else None
        self._insert_broker_id = PreparedInsert(BROKER_IDS, engine.dialect) if sqlite else None
        self._set_request = PreparedUpdate(ORDERS, engine.dialect, (*_STATE, *_REQUEST), "client_order_id") \
            if sqlite else None

    def close(self) -> None:
        """Give back the connection the journal keeps for its writes (reopened on the next write)."""
        self._held.close()

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        """One write transaction on the held connection, timed into :attr:`write_seconds`."""
        start = perf_counter()
        with self._held.begin() as conn:
            yield conn
        self.write_seconds.observe(perf_counter() - start)

    # -- writes ------------------------------------------------------------------------------------------
    # Core statements on a held connection: the journal is on the hot path of every order.
    def record_intent(self, order: Order, ts: datetime, *, source: str = "engine", actor: str = "") -> None:
        """Persist a new order (status CREATED or REJECTED) before anything is sent."""
        self.record_intents([order], ts, source=source, actor=actor)

    def record_intents(self, orders: Sequence[Order], ts: datetime, *, source: str = "engine", actor: str = "") -> None:
        """Persist orders that belong together (a bracket, an OCO group) in one transaction: all or none.

        An order already moved to SUBMITTED is written with its ``submit`` event in the same transaction:
        the intent is durable before it is sent at the cost of one commit, not two.
        """
        rows = []
        events = []
        for o in orders:
            sent = o.status is OrderStatus.SUBMITTED
            rows.append({"client_order_id": o.client_order_id, **_request_fields(o.request),
                         "account": self.account, "broker": self.broker, "parent_id": o.parent_id,
                         "oco_group": o.oco_group, "received_at": o.created_at or ts,
                         "entered_at": ts if sent else None, "cancelled_at": None, "status": o.status.value,
                         "filled_qty": o.filled_qty, "avg_fill_price": o.avg_fill_price, "reason": o.reason,
                         "actor": actor, "revision": o.revision, "created_at": o.created_at or ts,
                         "updated_at": ts})
            events.append(_event(o.client_order_id, ts, "intent", None, OrderStatus.CREATED if sent else o.status,
                                 {"reason": o.reason} if o.reason else {}, source, actor))
            if sent:
                events.append(_event(o.client_order_id, ts, "submit", OrderStatus.CREATED, o.status, {}, source,
                                     actor))
        fast_orders, fast_events = self._insert_orders, self._insert_events
        with self._begin() as conn:
            if fast_orders is not None and fast_events is not None and all(map(fast_orders.covers, rows)) \
                    and all(map(fast_events.covers, events)):
                fast_orders.run(conn, rows)
                fast_events.run(conn, events)
            else:
                conn.execute(_INSERT_ORDERS, rows)
                conn.execute(_INSERT_EVENTS, events)

    def record_status(self, order: Order, kind: str, status_from: OrderStatus | None, ts: datetime, *,
                      payload: dict[str, Any] | None = None, source: str = "broker", actor: str = "") -> None:
        """Write the order's current state and the event that led to it."""
        event = _event(order.client_order_id, ts, kind, status_from, order.status, payload or {}, source, actor)
        entered = ts if order.status is OrderStatus.SUBMITTED else None
        cancelled = ts if order.status is OrderStatus.CANCELLED else None
        with self._begin() as conn:
            if self._set_state is not None and self._insert_events is not None:
                self._check(self._set_state.run(conn, (order.status.value, order.filled_qty, order.avg_fill_price,
                                                       order.reason, ts, entered, cancelled,
                                                       order.client_order_id)), order.client_order_id)
                self._insert_events.run(conn, [event])
                return
            values = _state(order, ts)
            if entered is not None:
                values["entered_at"] = entered
            if cancelled is not None:
                values["cancelled_at"] = cancelled
            self._update(conn, order.client_order_id, values)
            conn.execute(insert(EVENTS), event)

    def record_modification(self, order: Order, ts: datetime, payload: dict[str, Any], *, source: str = "broker",
                            actor: str = "") -> None:
        """Write a changed quantity or price of ``order.request`` with its event."""
        req = order.request
        event = _event(order.client_order_id, ts, "modified", order.status, order.status, payload, source, actor)
        with self._begin() as conn:
            if self._set_request is not None and self._insert_events is not None:
                self._check(self._set_request.run(conn, (
                    order.status.value, order.filled_qty, order.avg_fill_price, order.reason, ts, req.quantity,
                    req.limit_price, req.stop_price, order.revision, order.client_order_id)), order.client_order_id)
                self._insert_events.run(conn, [event])
                return
            values = {**_state(order, ts), "quantity": req.quantity, "limit_price": req.limit_price,
                      "stop_price": req.stop_price, "revision": order.revision}
            self._update(conn, order.client_order_id, values)
            conn.execute(insert(EVENTS), event)

    def record_event(self, client_order_id: str, kind: str, ts: datetime, payload: dict[str, Any] | None = None, *,
                     source: str = "engine", actor: str = "") -> None:
        """Append an event that changes no state (a request, a denial, a note)."""
        event = _event(client_order_id, ts, kind, None, None, payload or {}, source, actor)
        with self._begin() as conn:
            if self._insert_events is not None:
                self._insert_events.run(conn, [event])
            else:
                conn.execute(insert(EVENTS), event)

    def record_fill(self, order: Order, execution: Execution, status_from: OrderStatus, received_at: datetime) -> bool:
        """Insert ``execution`` and the order's new state in one transaction; ``False`` if already journaled."""
        c = execution.charges
        row = {"exec_id": execution.exec_id, "client_order_id": execution.client_order_id, "broker": self.broker,
               "symbol": execution.symbol, "side": execution.side.value, "quantity": execution.quantity,
               "price": execution.price, "ts": execution.ts, "received_at": received_at,
               **{f: getattr(c, f) for f in Charges.FIELDS}, "total_charges": c.total, "charges_source": c.source,
               "fee_schedule_version": c.schedule_version}
        event = _event(order.client_order_id, received_at, "fill", status_from, order.status, execution.as_dict(),
                       "broker", "")
        with self._begin() as conn:
            if conn.execute(select(FILLS.c.id).where(FILLS.c.exec_id == execution.exec_id)).first() is not None:
                return False
            fills, state, events = self._insert_fills, self._set_state, self._insert_events
            if fills is not None and state is not None and events is not None and fills.covers(row):
                fills.run(conn, [row])
                self._check(state.run(conn, (order.status.value, order.filled_qty, order.avg_fill_price,
                                             order.reason, received_at, None, None, order.client_order_id)),
                            order.client_order_id)
                events.run(conn, [event])
                return True
            conn.execute(insert(FILLS), row)
            self._update(conn, order.client_order_id, _state(order, received_at))
            conn.execute(insert(EVENTS), event)
        return True

    @staticmethod
    def _check(rowcount: int, cid: str) -> None:
        if rowcount != 1:
            raise KeyError(f"order {cid} is not in the journal")

    def map_broker_id(self, client_order_id: str, broker: str, broker_order_id: str, perm_id: str,
                      ts: datetime) -> None:
        """Remember a broker's ids for our order (idempotent); a ``perm_id`` learnt later is added to the row.

        IBKR assigns ``permId`` after ``orderId``, so the first event may carry only the order id.
        """
        if not broker_order_id:
            return
        ids = BROKER_IDS
        row = {"client_order_id": client_order_id, "broker": broker, "broker_order_id": broker_order_id,
               "perm_id": perm_id or None, "created_at": ts}
        with self._begin() as conn:
            if self._find_broker_id is not None and self._insert_broker_id is not None:
                found = self._find_broker_id.first(conn, (broker, broker_order_id))
            else:
                found = conn.execute(select(ids.c.id, ids.c.client_order_id, ids.c.perm_id)
                                     .where(ids.c.broker == broker, ids.c.broker_order_id == broker_order_id)).first()
            if found is None:
                if self._insert_broker_id is not None:
                    self._insert_broker_id.run(conn, [row])
                else:
                    conn.execute(insert(ids), row)
                return
            key, mapped_to, known_perm_id = found
            if mapped_to != client_order_id:
                log.error("broker %s order id %s already maps to %s; not mapped to %s", broker, broker_order_id,
                          mapped_to, client_order_id)
            elif perm_id and known_perm_id is None:
                conn.execute(update(ids).where(ids.c.id == key).values(perm_id=perm_id))

    @staticmethod
    def _update(conn: Connection, cid: str, values: dict[str, Any]) -> None:
        stamps = {k: values.pop(k) for k in ("entered_at", "cancelled_at") if k in values}
        result = conn.execute(update(ORDERS).where(ORDERS.c.client_order_id == cid).values(**values))
        if result.rowcount != 1:
            raise KeyError(f"order {cid} is not in the journal")
        for column, ts in stamps.items():  # set once: the first send, the first cancellation
            conn.execute(update(ORDERS).where(ORDERS.c.client_order_id == cid, ORDERS.c[column].is_(None))
                         .values({column: ts}))

    # -- reads -------------------------------------------------------------------------------------------
    def load_order(self, client_order_id: str) -> Order | None:
        with transaction(self.engine) as s:
            row = s.get(OrderRow, client_order_id)
            if row is None:
                return None
            fills = s.scalars(select(FillRow).where(FillRow.client_order_id == client_order_id)
                              .order_by(FillRow.id)).all()
            return row_to_order(row, [fill_to_execution(f) for f in fills])

    def load_orders(self, *, open_only: bool = False, symbol: str | None = None) -> list[Order]:
        """Orders oldest first, each with its fills."""
        with transaction(self.engine) as s:
            q = select(OrderRow).order_by(OrderRow.created_at, OrderRow.client_order_id)
            if open_only:
                q = q.where(OrderRow.status.in_([st.value for st in OPEN_STATUSES]))
            if symbol:
                q = q.where(OrderRow.symbol == symbol)
            rows = s.scalars(q).all()
            ids = [r.client_order_id for r in rows]
            by_order: dict[str, list[Execution]] = defaultdict(list)
            for chunk in range(0, len(ids), 500):
                for f in s.scalars(select(FillRow).where(FillRow.client_order_id.in_(ids[chunk:chunk + 500]))
                                   .order_by(FillRow.id)):
                    by_order[f.client_order_id].append(fill_to_execution(f))
            return [row_to_order(r, by_order.get(r.client_order_id, [])) for r in rows]

    def fills(self, client_order_id: str | None = None) -> list[Execution]:
        with transaction(self.engine) as s:
            q = select(FillRow).order_by(FillRow.id)
            if client_order_id is not None:
                q = q.where(FillRow.client_order_id == client_order_id)
            return [fill_to_execution(f) for f in s.scalars(q)]

    def exec_ids(self) -> set[str]:
        with transaction(self.engine) as s:
            return set(s.scalars(select(FillRow.exec_id)))

    def positions(self) -> dict[str, Decimal]:
        """Signed net quantity per symbol, summed from the fills (zero positions left out)."""
        with transaction(self.engine) as s:
            rows = s.execute(select(FillRow.symbol, FillRow.side, func.sum(FillRow.quantity))
                             .group_by(FillRow.symbol, FillRow.side)).all()
        out: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for symbol, side, qty in rows:
            out[symbol] += Side(side).sign * Decimal(qty)
        return {k: _norm(v) or ZERO for k, v in sorted(out.items()) if v != 0}

    def events(self, client_order_id: str) -> list[dict[str, Any]]:
        with transaction(self.engine) as s:
            rows = s.scalars(select(OrderEventRow).where(OrderEventRow.client_order_id == client_order_id)
                             .order_by(OrderEventRow.id)).all()
            return [{"ts": r.ts, "kind": r.kind, "status_from": r.status_from, "status_to": r.status_to,
                     "payload": r.payload, "source": r.source, "actor": r.actor} for r in rows]

    def broker_ids(self, client_order_id: str) -> list[tuple[str, str, str | None]]:
        with transaction(self.engine) as s:
            rows = s.execute(select(BrokerOrderIdRow.broker, BrokerOrderIdRow.broker_order_id,
                                    BrokerOrderIdRow.perm_id)
                             .where(BrokerOrderIdRow.client_order_id == client_order_id)).all()
            return [(b, o, p) for b, o, p in rows]

    def ids_with_prefix(self, prefix: str) -> list[str]:
        with transaction(self.engine) as s:
            return list(s.scalars(select(OrderRow.client_order_id)
                                  .where(OrderRow.client_order_id.like(f"{prefix}%"))))
