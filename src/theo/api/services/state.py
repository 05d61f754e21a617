"""The trading state (ACTIVE / REDUCING / HALTED): read it, halt, resume, and pull the kill switch.

A change is appended to the shared trading-state history (the store behind :class:`theo.risk.state
.TradingState`); the running engine adopts it at its next sweep (``[risk.trade] sweep_seconds``), exactly as
for ``theo risk halt``. A kill request is carried out by the engine (cancel working entries, flatten when
asked, then HALTED); without a running engine it waits for the next ``theo run``.

Asking for the state the account is already in (halting a halted account, resuming an active one) is refused
with 409 and a message saying so, so a double click cannot write two changes; the kill switch is always taken.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from theo.api.services.audit import record
from theo.api.services.context import Actor, Role, ServiceContext
from theo.api.services.errors import Conflict, Invalid
from theo.risk.state import State, StateChange, StateRecord, current_state

ACCOUNT = ""  # the configured account (paper and IBKR runs record their state under it)
HISTORY = 50


class StateEntry(BaseModel):
    ts: datetime
    state: State
    reason: str
    actor: str


class StateNow(BaseModel):
    """The trading state as it stands (``since``: when it was set; ``None`` when never changed)."""

    state: State
    reason: str
    actor: str
    since: datetime | None
    pending_kill: bool = Field(description="a kill request waits for the engine's next sweep")


class StateView(StateNow):
    history: list[StateEntry] = Field(description=f"the latest {HISTORY} changes, newest first")


class ReasonBody(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="why (kept in the audit log)")


class KillBody(ReasonBody):
    reason: str = Field(default="kill switch", min_length=1, max_length=500)
    flatten: bool = Field(default=False, description="also close every position at market")


def store_actor(actor: Actor) -> str:
    """The name the trading-state history keeps: channel and user (``api:alice``, ``telegram:bob``)."""
    channel = (actor.origin.split(" ", 1)[0] or "api").replace("web", "api")
    return f"{channel}:{actor.name}"


def _now(rows: list[StateRecord]) -> StateNow:
    if not rows:
        return StateNow(state=State.ACTIVE, reason="", actor="", since=None, pending_kill=False)
    last = rows[0]
    pending = any(r.kill and r.handled_at is None for r in rows)
    return StateNow(state=last.state, reason=last.reason, actor=last.actor, since=last.ts, pending_kill=pending)


def _view(rows: list[StateRecord]) -> StateView:
    return StateView(**_now(rows).model_dump(), history=[StateEntry(ts=r.ts, state=r.state, reason=r.reason,
                                                                    actor=r.actor) for r in rows])


def state_now(ctx: ServiceContext) -> StateNow:
    """The current state without its history (for the overview)."""
    return _now(ctx.repos.trading_state.history(ACCOUNT, limit=HISTORY))


def get_state(ctx: ServiceContext, actor: Actor) -> StateView:
    actor.require(Role.VIEWER, "reading the trading state")
    return _view(ctx.repos.trading_state.history(ACCOUNT, limit=HISTORY))


def _change(ctx: ServiceContext, actor: Actor, to: State, reason: str, action: str, *, kill: bool = False,
            flatten: bool = False) -> StateView:
    actor.require(Role.TRADER, f"{action.replace('state.', '')} trading")
    why = reason.strip()
    if not why:
        raise Invalid("say why: the reason is kept in the audit log", field="reason")
    states = ctx.repos.trading_state
    before, rows = current_state(states, ACCOUNT)
    if before is to and not kill:
        last = rows[0] if rows else None
        by = f" since {last.ts.isoformat()} by {last.actor}: {last.reason}" if last else ""
        raise Conflict(f"trading is already {to.value}{by}; nothing changed")
    was = _now(rows)
    change = StateChange(datetime.now(UTC), to, before, why, store_actor(actor), ACCOUNT)
    states.append(change, kill=kill, flatten=flatten, audit=False)
    view = _view(states.history(ACCOUNT, limit=HISTORY))
    after = StateNow(**view.model_dump(exclude={"history"}))
    record(ctx, actor, action, before=was.model_dump(mode="json"), after=after.model_dump(mode="json"),
           detail={"reason": why, **({"flatten": flatten} if kill else {})})
    ctx.events.publish("state", {"state": to.value, "reason": why, "actor": change.actor})
    return view


def halt(ctx: ServiceContext, actor: Actor, reason: str) -> StateView:
    """HALTED: nothing but cancels leaves (protective orders keep working)."""
    return _change(ctx, actor, State.HALTED, reason, "state.halt")


def resume(ctx: ServiceContext, actor: Actor, reason: str) -> StateView:
    """Back to ACTIVE: every order the risk checks allow may leave."""
    return _change(ctx, actor, State.ACTIVE, reason, "state.resume")


def kill(ctx: ServiceContext, actor: Actor, reason: str, *, flatten: bool) -> StateView:
    """The kill switch: the engine cancels working entries, closes every position when ``flatten``, and HALTs."""
    return _change(ctx, actor, State.HALTED, reason, "state.kill", kill=True, flatten=flatten)
