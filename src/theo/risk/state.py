"""The trading state (ACTIVE / REDUCING / HALTED), the order-rate limit and kill-switch requests.

* ACTIVE: every order the checks allow may leave.
* REDUCING: only orders that reduce exposure (and cancels) leave.
* HALTED: nothing but cancels leaves.

Every change is kept with who or what caused it: a ``trading_state`` history row, an ``audit_log`` row and a
``risk.state`` message on the bus. Another process (``theo risk halt``) changes the state by writing a row;
the engine adopts it at its next sweep (:meth:`TradingState.refresh`).
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Engine, select, update

from theo.core.bus.base import MessageBus
from theo.core.clock import Clock
from theo.core.errors import RiskDenied
from theo.persistence.db import transaction
from theo.persistence.models.core import AuditLogRow
from theo.persistence.models.trades import TradingStateRow
from theo.risk.config import RateLimit

log = logging.getLogger(__name__)


class State(StrEnum):
    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"
    HALTED = "HALTED"


@dataclass(frozen=True, slots=True)
class StateChange:
    """One change of the trading state, as published on ``risk.state``."""

    ts: datetime
    state: State
    previous: State
    reason: str
    actor: str
    account: str = ""


@dataclass(frozen=True, slots=True)
class KillRequest:
    id: int
    flatten: bool
    reason: str
    actor: str


class TradingState:
    """Current state with its history; :meth:`check` is the gate every new order passes."""

    def __init__(self, clock: Clock, *, store: Engine | None = None, bus: MessageBus | None = None,
                 account: str = "", rate: RateLimit | None = None) -> None:
        self.clock = clock
        self.store = store
        self.bus = bus
        self.account = account
        self.rate = rate or RateLimit()
        self._sent: deque[datetime] = deque()
        self.history: list[StateChange] = []
        self.state = State.ACTIVE
        self._last_row = 0
        if store is not None:
            self.refresh(adopt_only=True)

    # -- the gate ---------------------------------------------------------------------------------------
    def check(self, reducing: bool) -> None:
        """Raise :class:`RiskDenied` unless the state lets this new order (or modification) leave."""
        if self.state is State.HALTED:
            raise RiskDenied("TRADING_HALTED", f"trading is halted ({self._why()}); only cancels are sent. "
                                               f"`theo risk resume --reason ...` re-enables trading")
        if self.state is State.REDUCING and not reducing:
            raise RiskDenied("REDUCING_ONLY", f"trading is in REDUCING ({self._why()}): only orders that reduce "
                                              f"exposure are sent")

    def take_rate_slot(self, now: datetime) -> None:
        """Count one new opening order; refuse it when the window is full (ORDER_RATE)."""
        window = timedelta(seconds=self.rate.per_seconds)
        while self._sent and now - self._sent[0] >= window:
            self._sent.popleft()
        if len(self._sent) >= self.rate.max_orders:
            raise RiskDenied("ORDER_RATE", f"{len(self._sent)} orders in the last {self.rate.per_seconds:g} s "
                                           f"reach the limit of {self.rate.max_orders}; wait or raise "
                                           f"risk.rate_limit.max_orders")
        self._sent.append(now)

    def _why(self) -> str:
        last = self.history[-1] if self.history else None
        return f"{last.reason} by {last.actor}" if last else "no reason recorded"

    # -- changes ----------------------------------------------------------------------------------------
    def set(self, to: State, reason: str, actor: str) -> bool:
        """Move to ``to``; record and publish the change. ``False`` when already there."""
        if not reason.strip():
            raise ValueError("a change of the trading state needs a reason")
        if to is self.state:
            return False
        change = StateChange(self.clock.now(), to, self.state, reason, actor, self.account)
        self.state = to
        self.history.append(change)
        log.warning("trading state %s -> %s by %s: %s", change.previous, to, actor, reason)
        if self.store is not None:
            self._last_row = write_state(self.store, change)
        if self.bus is not None:
            self.bus.publish("risk.state", change)
        return True

    def halt(self, reason: str, actor: str) -> bool:
        return self.set(State.HALTED, reason, actor)

    def reduce(self, reason: str, actor: str) -> bool:
        return self.set(State.REDUCING, reason, actor)

    def resume(self, reason: str, actor: str) -> bool:
        return self.set(State.ACTIVE, reason, actor)

    # -- other processes ------------------------------------------------------------------------------------
    def refresh(self, adopt_only: bool = False) -> KillRequest | None:
        """Adopt a state written by another process; return a pending kill request, if any."""
        if self.store is None:
            return None
        with transaction(self.store) as s:
            q = select(TradingStateRow).where(TradingStateRow.account == self.account)
            row = s.scalars(q.order_by(TradingStateRow.id.desc()).limit(1)).first()
            if row is not None and row.id != self._last_row:
                self._last_row = row.id
                new = State(row.state)
                if new is not self.state:
                    change = StateChange(row.ts, new, self.state, row.reason, row.actor, self.account)
                    self.state = new
                    self.history.append(change)
                    if self.bus is not None and not adopt_only:
                        self.bus.publish("risk.state", change)
            kill = s.scalars(q.where(TradingStateRow.kill.is_(True), TradingStateRow.handled_at.is_(None))
                             .order_by(TradingStateRow.id).limit(1)).first()
            return None if kill is None else KillRequest(kill.id, kill.flatten, kill.reason, kill.actor)

    def kill_handled(self, request: KillRequest) -> None:
        if self.store is not None:
            with transaction(self.store) as s:
                s.execute(update(TradingStateRow).where(TradingStateRow.id == request.id)
                          .values(handled_at=self.clock.now()))


def write_state(store: Engine, change: StateChange, *, kill: bool = False, flatten: bool = False) -> int:
    """Append a ``trading_state`` row and its ``audit_log`` row in one transaction; return the row id."""
    with transaction(store) as s:
        row = TradingStateRow(ts=change.ts, account=change.account, state=change.state.value,
                              previous=change.previous.value, reason=change.reason, actor=change.actor, kill=kill,
                              flatten=flatten)
        s.add(row)
        s.add(AuditLogRow(ts=change.ts, actor=change.actor or "engine", action="kill" if kill else "risk.state",
                          detail={"account": change.account, "from": change.previous.value,
                                  "to": change.state.value, "reason": change.reason, "flatten": flatten}))
        s.flush()
        return row.id


def current_state(store: Engine, account: str = "") -> tuple[State, list[TradingStateRow]]:
    """The latest state of ``account`` (ACTIVE when never set) and its history, newest first."""
    with transaction(store) as s:
        rows = list(s.scalars(select(TradingStateRow).where(TradingStateRow.account == account)
                              .order_by(TradingStateRow.id.desc()).limit(50)))
        s.expunge_all()
    return (State(rows[0].state) if rows else State.ACTIVE), rows
