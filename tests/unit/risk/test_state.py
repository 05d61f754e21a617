"""Trading state: REDUCING lets only exposure-reducing orders out, HALTED only cancels; every change is kept."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from tests.unit.risk.fakes import NOW, FakePortfolio, make_checks, order
from theo.core.bus.memory import InMemoryBus
from theo.core.clock import SimulatedClock
from theo.core.errors import RiskDenied
from theo.model.enums import Side
from theo.persistence.db import transaction
from theo.persistence.models.core import AuditLogRow
from theo.persistence.repositories.trading_state import TradingStateRepository
from theo.risk.state import State, StateChange, TradingState, current_state

D = Decimal
qty = st.integers(min_value=1, max_value=500)


@settings(max_examples=300, deadline=None)
@given(pos=st.integers(min_value=-500, max_value=500), working=st.integers(min_value=0, max_value=500),
       side=st.sampled_from(["BUY", "SELL"]), q=qty)
def test_in_reducing_no_allowed_order_increases_exposure(pos: int, working: int, side: str, q: int) -> None:
    s = Side(side)
    checks, _, state = make_checks(pf=FakePortfolio(pos={"SPY": D(pos)}, work={("SPY", s): D(working)}))
    state.reduce("test", "pytest")
    try:
        checks(order(side, q))
    except RiskDenied as exc:
        assert exc.rule == "REDUCING_ONLY"  # noqa: PT017 - a property: either refused or reducing
        return
    # allowed: even if every working order on that side fills too, the position shrinks toward 0 without flipping
    after = pos + s.sign * (working + q)
    assert abs(after) < abs(pos)
    assert (after == 0 or (after > 0) == (pos > 0))


@settings(max_examples=200, deadline=None)
@given(pos=st.integers(min_value=-500, max_value=500), side=st.sampled_from(["BUY", "SELL"]), q=qty,
       reduce_only=st.booleans(), tag=st.sampled_from(["", "entry", "stop_loss", "kill_switch", "time_exit"]))
def test_in_halted_no_order_is_allowed(pos: int, side: str, q: int, reduce_only: bool, tag: str) -> None:
    checks, _, state = make_checks(pf=FakePortfolio(pos={"SPY": D(pos)}))
    state.halt("test", "pytest")
    with pytest.raises(RiskDenied) as info:
        checks(order(side, q, reduce_only=reduce_only, tag=tag))
    assert info.value.rule == "TRADING_HALTED"
    assert "only cancels" in info.value.reason


def test_changes_are_logged_with_their_cause(sqlite_engine: Engine) -> None:
    bus = InMemoryBus()
    seen: list[StateChange] = []
    bus.subscribe("risk.state", lambda _t, m: seen.append(m))
    store = TradingStateRepository(sqlite_engine)
    state = TradingState(SimulatedClock(NOW), store=store, bus=bus)
    assert state.reduce("drawdown", "circuit_breaker")
    assert not state.reduce("again", "x")  # no change, nothing recorded
    assert state.halt("manual", "cli:ann")
    assert [(c.previous, c.state, c.actor) for c in seen] == [(State.ACTIVE, State.REDUCING, "circuit_breaker"),
                                                              (State.REDUCING, State.HALTED, "cli:ann")]
    now, rows = current_state(store)
    assert now is State.HALTED
    assert [r.reason for r in rows] == ["manual", "drawdown"]
    with transaction(sqlite_engine) as s:
        audit = [(a.actor, a.action, a.detail["to"]) for a in s.scalars(select(AuditLogRow).order_by(AuditLogRow.id))]
    assert audit == [("circuit_breaker", "risk.state", "REDUCING"), ("cli:ann", "risk.state", "HALTED")]
    with pytest.raises(ValueError, match="needs a reason"):
        state.resume("  ", "x")


def test_a_state_written_by_another_process_is_adopted_with_its_kill_request(sqlite_engine: Engine) -> None:
    store = TradingStateRepository(sqlite_engine)
    state = TradingState(SimulatedClock(NOW), store=store)
    assert state.state is State.ACTIVE
    assert state.refresh() is None
    store.append(StateChange(NOW, State.HALTED, State.ACTIVE, "panic", "cli:bob"), kill=True, flatten=True)
    kill = state.refresh()
    assert state.state is State.HALTED
    assert kill is not None
    assert kill.flatten
    assert kill.actor == "cli:bob"
    state.kill_handled(kill)
    assert state.refresh() is None
    again = TradingState(SimulatedClock(NOW), store=store)  # a restart keeps the state
    assert again.state is State.HALTED
