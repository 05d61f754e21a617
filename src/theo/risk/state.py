"""The trading state (ACTIVE / REDUCING / HALTED), the order-rate limit and kill-switch requests.

* ACTIVE: every order the checks allow may leave.
* REDUCING: only orders that reduce exposure (and cancels) leave.
* HALTED: nothing but cancels leaves.

Every change is kept with who or what caused it: a history record and an audit record in the
:class:`StateStore`, and a ``risk.state`` message on the bus. Another process (``theo risk halt``) changes
the state by appending a record; the engine adopts it at its next sweep (:meth:`TradingState.refresh`).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol, runtime_checkable

from theo.core.bus.base import MessageBus
from theo.core.clock import Clock
from theo.core.errors import RiskDenied
from theo.risk.config import RateLimit

log = logging.getLogger(__name__)


#: Who changes the state on their own: the circuit breakers, the market-data guard and the broker link. Any other
#: actor (a CLI user, a dashboard user, a Telegram chat) is a person.
CIRCUIT_BREAKER, FEED_GUARD, BROKER_LINK = "circuit_breaker", "feed-guard", "ibkr"
AUTOMATIC_ACTORS = frozenset({CIRCUIT_BREAKER, FEED_GUARD, BROKER_LINK})


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


    @property
    def resumed_by_a_person(self) -> bool:
        """A person set ACTIVE (not a guard that reduced and lifted its own reduction)."""
        return self.state is State.ACTIVE and self.actor not in AUTOMATIC_ACTORS


@dataclass(frozen=True, slots=True)
class KillRequest:
    id: int
    flatten: bool
    reason: str
    actor: str


@dataclass(frozen=True, slots=True)
class StateRecord:
    """One stored change of the trading state (``id`` grows with every record of the store)."""

    id: int
    ts: datetime
    account: str
    state: State
    previous: State
    reason: str
    actor: str
    kill: bool = False
    flatten: bool = False
    handled_at: datetime | None = None


@runtime_checkable
class StateStore(Protocol):
    """The shared, append-only history of the trading state of every account."""

    def append(self, change: StateChange, *, kill: bool = False, flatten: bool = False) -> int:
        """Record ``change`` (with its audit entry) in one transaction; return the new record's id."""
        ...

    def history(self, account: str, limit: int = 50) -> list[StateRecord]:
        """The latest records of ``account``, newest first."""
        ...

    def pending_kill(self, account: str) -> KillRequest | None:
        """The oldest kill request of ``account`` not handled yet."""
        ...

    def mark_handled(self, request_id: int, at: datetime) -> None:
        """Record that the kill request ``request_id`` was carried out at ``at``."""
        ...


class TradingState:
    """Current state with its history; :meth:`check` is the gate every new order passes."""

    def __init__(self, clock: Clock, *, store: StateStore | None = None,
                 bus: MessageBus | None = None, account: str = "", rate: RateLimit | None = None) -> None:
        self.clock = clock
        self.store = store
        self.bus = bus
        self.account = account
        self.rate = rate or RateLimit()
        self._sent: deque[datetime] = deque()
        self.history: list[StateChange] = []
        self.state = State.ACTIVE
        self._last_row = 0
        self.listeners: list[Callable[[StateChange], None]] = []  # told of every change, adopted ones included
        if self.store is not None:
            self.refresh(adopt_only=True)

    # -- the gate ---------------------------------------------------------------------------------------
    def check(self, reducing: bool) -> None:
        """Raise :class:`RiskDenied` unless the state lets this new order (or modification) leave."""
        if self.state is State.HALTED:
            raise RiskDenied("TRADING_HALTED", f"trading is halted ({self._why()}); only cancels, changes to "
                                               f"protective orders and the kill switch's exits are sent. "
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
            self._last_row = self.store.append(change)
        self._tell(change)
        if self.bus is not None:
            self.bus.publish("risk.state", change)
        return True

    def _tell(self, change: StateChange) -> None:
        for listener in self.listeners:
            listener(change)

    def last_resume(self) -> datetime | None:
        """When a person last set ACTIVE, as far as the stored history (or this process) knows."""
        rows = self.store.history(self.account, limit=200) if self.store is not None else []
        stored = next((r.ts for r in rows if r.state is State.ACTIVE and r.actor not in AUTOMATIC_ACTORS), None)
        mine = next((c.ts for c in reversed(self.history) if c.resumed_by_a_person), None)
        return max((t for t in (stored, mine) if t is not None), default=None)

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
        latest = self.store.history(self.account, limit=1)
        if latest and latest[0].id != self._last_row:
            row = latest[0]
            self._last_row = row.id
            if row.state is not self.state:
                change = StateChange(row.ts, row.state, self.state, row.reason, row.actor, self.account)
                self.state = row.state
                self.history.append(change)
                self._tell(change)
                if self.bus is not None and not adopt_only:
                    self.bus.publish("risk.state", change)
        return self.store.pending_kill(self.account)

    def kill_handled(self, request: KillRequest) -> None:
        if self.store is not None:
            self.store.mark_handled(request.id, self.clock.now())


def current_state(store: StateStore, account: str = "") -> tuple[State, list[StateRecord]]:
    """The latest state of ``account`` (ACTIVE when never set) and its history, newest first."""
    rows = store.history(account)
    return (rows[0].state if rows else State.ACTIVE), rows
