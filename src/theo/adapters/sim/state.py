"""The simulated broker's state and its persistence in a small SQLite file (:class:`StateStore`).

Each change is saved in one SQLite transaction, so a SIGKILL at any instant leaves the previous or the
next state on disk, never a torn one, and a restarted engine meets the same broker state, as it would
with a real broker. A save writes only what changed, so its cost does not grow with the history.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

from theo.core.errors import BrokerError
from theo.execution.commissions import OrderChargeState
from theo.model.enums import Allocation, OrderStatus, OrderType, ProductType, Routing, Side, TimeInForce
from theo.model.events import Execution
from theo.model.ledger import Position
from theo.model.money import ZERO
from theo.persistence.checkpoint import defer_checkpoints

FORMAT_VERSION = 3
READABLE_VERSIONS = ("2", "3")  # version 2 files lack the bracket and adjusted-stop fields


def _d(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@dataclass(slots=True)
class SimOrder:
    """An order as the simulated broker works it."""

    client_order_id: str
    broker_order_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    tif: TimeInForce
    submitted_at: datetime
    limit_price: Decimal | None = None
    stop_price: Decimal | None = None
    trail_amount: Decimal | None = None
    trail_percent: Decimal | None = None
    outside_rth: bool = False
    oco_group: str | None = None
    routing: Routing = Routing.SMART
    allocation: Allocation = Allocation.FIFO
    product_type: ProductType = ProductType.MARGIN
    reduce_only: bool = False
    parent_id: str | None = None  # a bracket child: works once its parent has filled, up to what filled
    trail_trigger: Decimal | None = None  # a trailing stop trails once the market reaches this price
    trail_active: bool = True
    expires_at: datetime | None = None
    status: OrderStatus = OrderStatus.ACCEPTED
    filled_qty: Decimal = ZERO
    avg_fill_price: Decimal | None = None
    triggered: bool = False  # a STOP_LIMIT whose stop was hit now works as a limit
    trail_ref: Decimal | None = None  # best price seen by a trailing stop
    first_chance_done: bool = False  # IOC/FOK: the first price after submission was seen
    charges: OrderChargeState = field(default_factory=OrderChargeState)
    reason: str = ""
    revision: int = 0

    @property
    def working(self) -> bool:
        return self.status in (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED)

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.filled_qty

    def to_json(self) -> dict[str, Any]:
        return {"cid": self.client_order_id, "bid": self.broker_order_id, "symbol": self.symbol,
                "side": self.side.value, "type": self.order_type.value, "qty": str(self.quantity),
                "tif": self.tif.value, "submitted_at": self.submitted_at.isoformat(),
                "limit": _s(self.limit_price), "stop": _s(self.stop_price), "trail_amount": _s(self.trail_amount),
                "trail_percent": _s(self.trail_percent), "outside_rth": self.outside_rth, "oco": self.oco_group,
                "routing": self.routing.value, "allocation": self.allocation.value,
                "product_type": self.product_type.value, "reduce_only": self.reduce_only,
                "expires_at": self.expires_at.isoformat() if self.expires_at else None,
                "status": self.status.value, "filled": str(self.filled_qty), "avg": _s(self.avg_fill_price),
                "triggered": self.triggered, "trail_ref": _s(self.trail_ref),
                "first_chance_done": self.first_chance_done, "charges": self.charges.as_list(),
                "reason": self.reason, "rev": self.revision, "parent": self.parent_id,
                "trail_trigger": _s(self.trail_trigger), "trail_active": self.trail_active}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SimOrder:
        return cls(client_order_id=d["cid"], broker_order_id=d["bid"], symbol=d["symbol"], side=Side(d["side"]),
                   order_type=OrderType(d["type"]), quantity=Decimal(d["qty"]), tif=TimeInForce(d["tif"]),
                   submitted_at=datetime.fromisoformat(d["submitted_at"]), limit_price=_d(d["limit"]),
                   stop_price=_d(d["stop"]), trail_amount=_d(d["trail_amount"]),
                   trail_percent=_d(d["trail_percent"]), outside_rth=d["outside_rth"], oco_group=d["oco"],
                   routing=Routing(d["routing"]), allocation=Allocation(d["allocation"]),
                   product_type=ProductType(d["product_type"]), reduce_only=d["reduce_only"],
                   expires_at=datetime.fromisoformat(d["expires_at"]) if d["expires_at"] else None,
                   status=OrderStatus(d["status"]), filled_qty=Decimal(d["filled"]), avg_fill_price=_d(d["avg"]),
                   triggered=d["triggered"], trail_ref=_d(d["trail_ref"]),
                   first_chance_done=d["first_chance_done"], charges=OrderChargeState.from_list(d["charges"]),
                   reason=d["reason"], revision=d["rev"], parent_id=d.get("parent"),
                   trail_trigger=_d(d.get("trail_trigger")), trail_active=d.get("trail_active", True))


@dataclass(slots=True)
class SimState:
    """Everything the simulated broker knows; saved whole after every change."""

    cash: Decimal
    order_seq: int = 0
    exec_seq: int = 0
    orders: dict[str, SimOrder] = field(default_factory=dict)
    executions: list[Execution] = field(default_factory=list)
    positions: dict[str, Position] = field(default_factory=dict)
    realized_pnl: Decimal = ZERO
    total_charges: Decimal = ZERO
    last_seen: dict[str, datetime] = field(default_factory=dict)  # last bar start / tick ts processed
    last_price: dict[str, Decimal] = field(default_factory=dict)
    # symbol -> (start of the bar whose open step ran, quantity each order filled at that open): a restart
    # between a bar's two steps neither repeats the open nor spends the bar's volume twice.
    opened: dict[str, tuple[datetime, dict[str, Decimal]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"version": FORMAT_VERSION, "cash": str(self.cash), "order_seq": self.order_seq,
                "exec_seq": self.exec_seq, "orders": [o.to_json() for o in self.orders.values()],
                "executions": [e.as_dict() for e in self.executions],
                "positions": {k: [str(p.quantity), str(p.avg_cost)] for k, p in self.positions.items()},
                "realized_pnl": str(self.realized_pnl), "total_charges": str(self.total_charges),
                "last_seen": {k: v.isoformat() for k, v in self.last_seen.items()},
                "last_price": {k: str(v) for k, v in self.last_price.items()},
                "opened": _opened_json(self.opened)}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SimState:
        orders = [SimOrder.from_json(o) for o in d["orders"]]
        return cls(cash=Decimal(d["cash"]), order_seq=d["order_seq"], exec_seq=d["exec_seq"],
                   orders={o.client_order_id: o for o in orders},
                   executions=[Execution.from_dict(e) for e in d["executions"]],
                   positions={k: position(Decimal(q), Decimal(c)) for k, (q, c) in d["positions"].items()},
                   realized_pnl=Decimal(d["realized_pnl"]), total_charges=Decimal(d["total_charges"]),
                   last_seen={k: datetime.fromisoformat(v) for k, v in d["last_seen"].items()},
                   last_price={k: Decimal(v) for k, v in d["last_price"].items()},
                   opened=_opened_of(d.get("opened", {})))


def _opened_json(opened: dict[str, tuple[datetime, dict[str, Decimal]]]) -> dict[str, Any]:
    return {k: [start.isoformat(), {cid: str(q) for cid, q in used.items()}] for k, (start, used) in opened.items()}


def _opened_of(d: dict[str, Any]) -> dict[str, tuple[datetime, dict[str, Decimal]]]:
    return {k: (datetime.fromisoformat(start), {cid: Decimal(q) for cid, q in used.items()})
            for k, (start, used) in d.items()}


def position(quantity: Decimal, avg_cost: Decimal) -> Position:
    """A broker position as saved (signed quantity, average cost)."""
    pos = Position()
    with localcontext() as exact:  # the product in full: cost / quantity gives back the saved average, digit for digit
        exact.prec = 80
        pos.quantity, pos.cost = quantity, avg_cost * abs(quantity)
    return pos


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS orders (cid TEXT PRIMARY KEY, seq INTEGER NOT NULL, data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS executions (seq INTEGER PRIMARY KEY, data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS positions (symbol TEXT PRIMARY KEY, quantity TEXT NOT NULL, avg_cost TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS marks (symbol TEXT PRIMARY KEY, last_seen TEXT, last_price TEXT)",
)


def _dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))


class StateStore:
    """The state in a small SQLite file (WAL, ``synchronous=NORMAL``); every save is one transaction.

    A save writes only what changed (the orders named, executions not yet saved, the per-symbol rows), so
    its cost does not grow with the account's history. SQLite's write-ahead log makes each save atomic: a
    SIGKILL at any instant leaves the state before or after it, never half of it (a power cut may lose the last
    saves, as it may lose the order journal's: docs/storage.md, Durability).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._saved_execs = 0

    def _connect(self, create: bool) -> sqlite3.Connection:
        if self._conn is None:
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            mode = "rwc" if create else "rw"
            conn = sqlite3.connect(f"file:{self.path}?mode={mode}", uri=True, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                # An event is emitted only once its state is committed; WAL with synchronous=NORMAL keeps every
                # committed state through a crash of the process (the store of the order journal runs the same).
                conn.execute("PRAGMA synchronous=NORMAL")
                defer_checkpoints(conn)  # the node's checkpointer copies the log back, off the order path
                for ddl in _SCHEMA:
                    conn.execute(ddl)
            except sqlite3.DatabaseError:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def load(self, initial_cash: Decimal) -> SimState:
        """The saved state, or a fresh account with ``initial_cash`` when there is no file yet."""
        if not self.path.exists():
            return SimState(cash=initial_cash)
        try:
            conn = self._connect(create=False)
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            if not meta:  # created, never saved: nothing happened at this broker yet
                return SimState(cash=initial_cash)
            if meta.get("version") not in READABLE_VERSIONS:
                raise ValueError(f"format version {meta.get('version')!r}, expected one of {READABLE_VERSIONS}")
            # In submission order: the broker works a symbol's orders in that order (OCO, determinism).
            orders = [SimOrder.from_json(json.loads(d)) for (d,) in conn.execute("SELECT data FROM orders "
                                                                                 "ORDER BY seq")]
            execs = [Execution.from_dict(json.loads(d)) for (d,) in conn.execute("SELECT data FROM executions "
                                                                                 "ORDER BY seq")]
            state = SimState(cash=Decimal(meta["cash"]), order_seq=int(meta["order_seq"]),
                             exec_seq=int(meta["exec_seq"]), orders={o.client_order_id: o for o in orders},
                             executions=execs, realized_pnl=Decimal(meta["realized_pnl"]),
                             total_charges=Decimal(meta["total_charges"]),
                             opened=_opened_of(json.loads(meta.get("opened", "{}"))))
            for sym, qty, cost in conn.execute("SELECT symbol, quantity, avg_cost FROM positions"):
                state.positions[sym] = position(Decimal(qty), Decimal(cost))
            for sym, seen, px in conn.execute("SELECT symbol, last_seen, last_price FROM marks"):
                if seen is not None:
                    state.last_seen[sym] = datetime.fromisoformat(seen)
                if px is not None:
                    state.last_price[sym] = Decimal(px)
        except (sqlite3.DatabaseError, ValueError, KeyError, TypeError) as exc:
            self.close()
            raise BrokerError(f"simulated broker state {self.path} is unreadable ({exc}); move it away to start a "
                              f"fresh paper account, or restore it from a backup") from None
        self._saved_execs = len(execs)
        return state

    def save(self, state: SimState, changed_orders: Iterable[str]) -> None:
        """Write the orders named in ``changed_orders`` and everything else that may have changed, atomically."""
        conn = self._connect(create=True)
        meta = {"version": str(FORMAT_VERSION), "cash": str(state.cash), "order_seq": str(state.order_seq),
                "exec_seq": str(state.exec_seq), "realized_pnl": str(state.realized_pnl),
                "total_charges": str(state.total_charges), "opened": _dumps(_opened_json(state.opened))}
        new_execs = state.executions[self._saved_execs:]
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())
            conn.executemany("INSERT OR REPLACE INTO orders VALUES (?, ?, ?)",
                             [(cid, int(state.orders[cid].broker_order_id), _dumps(state.orders[cid].to_json()))
                              for cid in sorted(set(changed_orders))])
            conn.executemany("INSERT OR REPLACE INTO executions VALUES (?, ?)",
                             [(self._saved_execs + i + 1, _dumps(e.as_dict())) for i, e in enumerate(new_execs)])
            # One row per symbol: a handful, whatever the history.
            conn.executemany("INSERT OR REPLACE INTO positions VALUES (?, ?, ?)",
                             [(k, str(p.quantity), str(p.avg_cost)) for k, p in state.positions.items()])
            marks = sorted(set(state.last_seen) | set(state.last_price))
            conn.executemany("INSERT OR REPLACE INTO marks VALUES (?, ?, ?)",
                             [(k, state.last_seen[k].isoformat() if k in state.last_seen else None,
                               _s(state.last_price.get(k))) for k in marks])
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self._saved_execs = len(state.executions)


def persist(store: StateStore, state: SimState, changed_orders: Iterable[str]) -> None:
    """Save what changed (the simulated broker's one durable step; the crash test counts these)."""
    store.save(state, changed_orders)


def save_state(state: SimState, path: Path) -> None:
    """Write the whole of ``state`` to ``path`` atomically (a fresh file, or over an older state)."""
    store = StateStore(path)
    try:
        store.save(state, state.orders)
    finally:
        store.close()


def load_state(path: Path, initial_cash: Decimal) -> SimState:
    """The state saved at ``path``, or a fresh account with ``initial_cash`` when there is no file yet."""
    store = StateStore(path)
    try:
        return store.load(initial_cash)
    finally:
        store.close()


def state_path(data_dir: Path, state_file: str) -> Path:
    """Where the simulated broker keeps its state: ``state_file``, relative to ``data_dir`` unless absolute."""
    path = Path(state_file).expanduser()
    return path if path.is_absolute() else data_dir / path
