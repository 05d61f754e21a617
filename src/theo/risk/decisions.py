"""The append-only record of pre-trade decisions (``risk_decisions``), buffered off the hot path.

Allowed decisions wait in memory for :meth:`DecisionLog.flush` (the trade manager's sweep and ``stop``), so
an exit order never waits on a database write; a denial is written at once (nothing is being sent then).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from theo.model.orders import OrderRequest


@dataclass(frozen=True, slots=True)
class Decision:
    ts: datetime
    rule: str
    allowed: bool
    reason: str
    request: OrderRequest


def request_json(req: OrderRequest) -> dict[str, Any]:
    return {"symbol": req.symbol, "side": req.side.value, "quantity": str(req.quantity),
            "order_type": req.order_type.value,
            "limit_price": None if req.limit_price is None else str(req.limit_price),
            "stop_price": None if req.stop_price is None else str(req.stop_price), "tag": req.tag,
            "strategy": req.strategy, "signal_id": req.signal_id, "reduce_only": req.reduce_only}


@runtime_checkable
class DecisionStore(Protocol):
    """The append-only record of pre-trade decisions."""

    def append(self, account: str, decisions: Sequence[Decision]) -> None:
        """Record ``decisions`` of ``account`` in one transaction."""
        ...


class DecisionLog:
    """Keeps decisions in memory; denials are written at once, allowed ones at :meth:`flush` (or when
    ``batch`` are pending, a bound for runs that never sweep)."""

    def __init__(self, store: DecisionStore | None = None, *, account: str = "", batch: int = 10_000,
                 keep: int = 1000) -> None:
        self.store = store
        self.account = account
        self.batch = batch
        self.keep = keep
        self.recent: deque[Decision] = deque(maxlen=keep)
        self._pending: list[Decision] = []

    def add(self, decision: Decision) -> None:
        self.recent.append(decision)
        if self.store is None:
            return
        self._pending.append(decision)
        if not decision.allowed or len(self._pending) >= self.batch:
            self.flush()

    def flush(self) -> int:
        """Write the pending decisions in one transaction; return how many."""
        if self.store is None or not self._pending:
            return 0
        rows, self._pending = self._pending, []
        self.store.append(self.account, rows)
        return len(rows)

    def denials(self) -> list[Decision]:
        return [d for d in self.recent if not d.allowed]
