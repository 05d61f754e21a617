"""The simulated broker's state and its atomic persistence (temp file + fsync + rename).

A SIGKILL at any instant leaves either the previous or the next state on disk, never a torn file, so a
restarted engine meets the same broker state, as it would with a real broker.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from theo.domain.enums import OrderStatus, OrderType, Side, TimeInForce
from theo.domain.money import ZERO
from theo.errors import BrokerError
from theo.execution.commissions import OrderChargeState
from theo.execution.events import Execution

FORMAT_VERSION = 1


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
                "expires_at": self.expires_at.isoformat() if self.expires_at else None,
                "status": self.status.value, "filled": str(self.filled_qty), "avg": _s(self.avg_fill_price),
                "triggered": self.triggered, "trail_ref": _s(self.trail_ref),
                "first_chance_done": self.first_chance_done, "charges": self.charges.as_list(),
                "reason": self.reason, "rev": self.revision}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SimOrder:
        return cls(client_order_id=d["cid"], broker_order_id=d["bid"], symbol=d["symbol"], side=Side(d["side"]),
                   order_type=OrderType(d["type"]), quantity=Decimal(d["qty"]), tif=TimeInForce(d["tif"]),
                   submitted_at=datetime.fromisoformat(d["submitted_at"]), limit_price=_d(d["limit"]),
                   stop_price=_d(d["stop"]), trail_amount=_d(d["trail_amount"]),
                   trail_percent=_d(d["trail_percent"]), outside_rth=d["outside_rth"], oco_group=d["oco"],
                   expires_at=datetime.fromisoformat(d["expires_at"]) if d["expires_at"] else None,
                   status=OrderStatus(d["status"]), filled_qty=Decimal(d["filled"]), avg_fill_price=_d(d["avg"]),
                   triggered=d["triggered"], trail_ref=_d(d["trail_ref"]),
                   first_chance_done=d["first_chance_done"], charges=OrderChargeState.from_list(d["charges"]),
                   reason=d["reason"], revision=d["rev"])


@dataclass(slots=True)
class Position:
    quantity: Decimal = ZERO
    avg_cost: Decimal = ZERO


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

    def to_json(self) -> dict[str, Any]:
        return {"version": FORMAT_VERSION, "cash": str(self.cash), "order_seq": self.order_seq,
                "exec_seq": self.exec_seq, "orders": [o.to_json() for o in self.orders.values()],
                "executions": [e.as_dict() for e in self.executions],
                "positions": {k: [str(p.quantity), str(p.avg_cost)] for k, p in self.positions.items()},
                "realized_pnl": str(self.realized_pnl), "total_charges": str(self.total_charges),
                "last_seen": {k: v.isoformat() for k, v in self.last_seen.items()},
                "last_price": {k: str(v) for k, v in self.last_price.items()}}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SimState:
        orders = [SimOrder.from_json(o) for o in d["orders"]]
        return cls(cash=Decimal(d["cash"]), order_seq=d["order_seq"], exec_seq=d["exec_seq"],
                   orders={o.client_order_id: o for o in orders},
                   executions=[Execution.from_dict(e) for e in d["executions"]],
                   positions={k: Position(Decimal(q), Decimal(c)) for k, (q, c) in d["positions"].items()},
                   realized_pnl=Decimal(d["realized_pnl"]), total_charges=Decimal(d["total_charges"]),
                   last_seen={k: datetime.fromisoformat(v) for k, v in d["last_seen"].items()},
                   last_price={k: Decimal(v) for k, v in d["last_price"].items()})


def save_state(state: SimState, path: Path) -> None:
    """Write ``state`` atomically: a crash leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    data = json.dumps(state.to_json(), separators=(",", ":")).encode()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make the rename itself durable
    finally:
        os.close(dir_fd)


def load_state(path: Path, initial_cash: Decimal) -> SimState:
    """The saved state, or a fresh account with ``initial_cash`` when there is no file yet."""
    if not path.exists():
        return SimState(cash=initial_cash)
    try:
        data = json.loads(path.read_text())
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"format version {data.get('version')!r}, expected {FORMAT_VERSION}")
        return SimState.from_json(data)
    except (ValueError, KeyError, TypeError) as exc:
        raise BrokerError(f"simulated broker state {path} is unreadable ({exc}); move it away to start a fresh "
                          f"paper account, or restore it from a backup") from None


def state_path(data_dir: Path, state_file: str) -> Path:
    """Where the simulated broker keeps its state: ``state_file``, relative to ``data_dir`` unless absolute."""
    path = Path(state_file).expanduser()
    return path if path.is_absolute() else data_dir / path
