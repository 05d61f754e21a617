"""The order journal: what the order service records, and the in-memory recorder of backtests.

:class:`OrderJournal` is the interface; two implementations record the same calls:

* :class:`MemoryJournal` (backtests): the orders themselves, their fills in arrival order and the event
  stream, in memory; nothing is copied or converted, so a backtest pays list appends for its record;
* :class:`~theo.persistence.repositories.orders.SqlOrderJournal` (paper and live): the ``orders``,
  ``order_events``, ``fills`` and ``broker_order_ids`` tables, one transaction per call, an intent committed
  before its order is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from theo.model.enums import OrderStatus
from theo.model.events import Execution
from theo.model.money import ZERO
from theo.model.orders import Order

#: One recorded event: (time, client order id, kind, status before, status after, payload).
Event = tuple[datetime, str, str, OrderStatus | None, OrderStatus | None, dict[str, Any]]


class OrderJournal(Protocol):
    """What the order service needs from its journal (see the module docstring)."""

    broker: str

    def record_intents(self, orders: Sequence[Order], ts: datetime, *, source: str = "engine",
                       actor: str = "") -> None:
        """Persist new orders (a bracket: all in one go) before they are sent; SUBMITTED ones with their send."""

    def record_status(self, order: Order, kind: str, status_from: OrderStatus | None, ts: datetime, *,
                      payload: dict[str, Any] | None = None, source: str = "broker", actor: str = "") -> None:
        """Write the order's current state and the event that led to it."""

    def record_modification(self, order: Order, ts: datetime, payload: dict[str, Any], *, source: str = "broker",
                            actor: str = "") -> None:
        """Write a changed quantity or price of the order with its event."""

    def record_event(self, client_order_id: str, kind: str, ts: datetime, payload: dict[str, Any] | None = None,
                     *, source: str = "engine", actor: str = "") -> None:
        """Append an event that changes no state (a request, a denial, a note)."""

    def record_fill(self, order: Order, execution: Execution, status_from: OrderStatus,
                    received_at: datetime) -> bool:
        """Add ``execution`` with the order's new state; ``False`` if this exec id is journaled already."""

    def map_broker_id(self, client_order_id: str, broker: str, broker_order_id: str, perm_id: str,
                      ts: datetime) -> None:
        """Remember the broker's ids of our order (idempotent)."""

    def load_order(self, client_order_id: str) -> Order | None: ...

    def load_orders(self, *, open_only: bool = False, symbol: str | None = None) -> list[Order]:
        """Orders oldest first, each with its fills."""

    def exec_ids(self) -> set[str]: ...

    def positions(self) -> dict[str, Decimal]:
        """Signed net quantity per symbol from the fills (zero positions left out)."""

    def ids_with_prefix(self, prefix: str) -> list[str]: ...

    def close(self) -> None: ...


class MemoryJournal:
    """The journal of a backtest: the same record as the SQL journal, kept in memory.

    ``orders`` holds the order objects in creation order (the order service's own objects: their state is
    the journal's), ``fills`` every execution in the order it arrived, ``events`` the event stream.
    """

    def __init__(self, broker: str = "sim", *, keep_events: bool = True) -> None:
        self.broker = broker
        self.orders: dict[str, Order] = {}
        self.fills: list[Execution] = []
        self.events: list[Event] = []
        self.keep_events = keep_events
        self._exec_ids: set[str] = set()
        self.broker_ids: dict[str, tuple[str, str, str]] = {}

    def record_intents(self, orders: Sequence[Order], ts: datetime, *, source: str = "engine",
                       actor: str = "") -> None:
        for o in orders:
            self.orders[o.client_order_id] = o
            if self.keep_events:
                self.events.append((ts, o.client_order_id, "intent", None, o.status, {}))

    def record_status(self, order: Order, kind: str, status_from: OrderStatus | None, ts: datetime, *,
                      payload: dict[str, Any] | None = None, source: str = "broker", actor: str = "") -> None:
        if self.keep_events:
            self.events.append((ts, order.client_order_id, kind, status_from, order.status, payload or {}))

    def record_modification(self, order: Order, ts: datetime, payload: dict[str, Any], *, source: str = "broker",
                            actor: str = "") -> None:
        if self.keep_events:
            self.events.append((ts, order.client_order_id, "modified", order.status, order.status, payload))

    def record_event(self, client_order_id: str, kind: str, ts: datetime, payload: dict[str, Any] | None = None,
                     *, source: str = "engine", actor: str = "") -> None:
        if self.keep_events:
            self.events.append((ts, client_order_id, kind, None, None, payload or {}))

    def record_fill(self, order: Order, execution: Execution, status_from: OrderStatus,
                    received_at: datetime) -> bool:
        if execution.exec_id in self._exec_ids:
            return False
        self._exec_ids.add(execution.exec_id)
        self.fills.append(execution)
        if self.keep_events:
            self.events.append((received_at, order.client_order_id, "fill", status_from, order.status, {}))
        return True

    def map_broker_id(self, client_order_id: str, broker: str, broker_order_id: str, perm_id: str,
                      ts: datetime) -> None:
        if broker_order_id:
            self.broker_ids.setdefault(client_order_id, (broker, broker_order_id, perm_id))

    def load_order(self, client_order_id: str) -> Order | None:
        return self.orders.get(client_order_id)

    def load_orders(self, *, open_only: bool = False, symbol: str | None = None) -> list[Order]:
        return [o for o in self.orders.values()
                if (not open_only or o.is_open) and (symbol is None or o.symbol == symbol)]

    def exec_ids(self) -> set[str]:
        return set(self._exec_ids)

    def positions(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for ex in self.fills:
            out[ex.symbol] = out.get(ex.symbol, ZERO) + ex.side.sign * ex.quantity
        return {k: v for k, v in sorted(out.items()) if v != 0}

    def ids_with_prefix(self, prefix: str) -> list[str]:
        return [cid for cid in self.orders if cid.startswith(prefix)]

    def close(self) -> None:
        return None
