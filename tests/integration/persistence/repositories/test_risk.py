"""The trading-state and risk-decision repositories keep the rows the risk layer relies on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, select

from theo.model.enums import OrderType, Side
from theo.model.orders import OrderRequest
from theo.persistence.db import transaction
from theo.persistence.models.core import AuditLogRow
from theo.persistence.repositories import Repositories
from theo.risk.decisions import Decision, DecisionLog
from theo.risk.state import KillRequest, State, StateChange, StateStore, current_state

T0 = datetime(2026, 11, 24, 15, tzinfo=UTC)


def test_state_history_is_newest_first_per_account_and_kills_are_handled_once(engine: Engine) -> None:
    states = Repositories(engine).trading_state
    assert isinstance(states, StateStore)
    assert states.history("acct") == []
    assert states.pending_kill("acct") is None
    first = states.append(StateChange(T0, State.REDUCING, State.ACTIVE, "drawdown", "breaker", "acct"))
    kill = states.append(StateChange(T0 + timedelta(seconds=1), State.HALTED, State.REDUCING, "panic", "cli:ann",
                                     "acct"), kill=True, flatten=True)
    states.append(StateChange(T0, State.HALTED, State.ACTIVE, "other desk", "cli:bob", "other"))
    assert kill > first
    history = states.history("acct")
    assert [(r.id, r.state, r.previous, r.actor, r.kill, r.flatten) for r in history] == [
        (kill, State.HALTED, State.REDUCING, "cli:ann", True, True),
        (first, State.REDUCING, State.ACTIVE, "breaker", False, False)]
    assert history[0].ts == T0 + timedelta(seconds=1)
    assert states.history("acct", limit=1)[0].id == kill
    assert current_state(states, "acct")[0] is State.HALTED
    assert current_state(states, "nobody") == (State.ACTIVE, [])
    assert states.pending_kill("acct") == KillRequest(kill, True, "panic", "cli:ann")
    states.mark_handled(kill, T0 + timedelta(seconds=2))
    assert states.pending_kill("acct") is None
    assert states.history("acct")[0].handled_at == T0 + timedelta(seconds=2)
    with transaction(engine) as s:
        audit = [(a.actor, a.action, a.detail["account"], a.detail["to"])
                 for a in s.scalars(select(AuditLogRow).order_by(AuditLogRow.id))]
    assert audit == [("breaker", "risk.state", "acct", "REDUCING"), ("cli:ann", "kill", "acct", "HALTED"),
                     ("cli:bob", "risk.state", "other", "HALTED")]


def test_decisions_are_appended_and_the_latest_denials_read_back(engine: Engine) -> None:
    decisions = Repositories(engine).decisions
    request = OrderRequest("SPY", Side.BUY, Decimal("100"), OrderType.LIMIT, limit_price=Decimal("270.05"),
                           strategy="s1")
    log = DecisionLog(decisions, account="acct", batch=10)
    log.add(Decision(T0, "CLOSING", True, "", request))
    assert decisions.denials() == []  # allowed decisions wait for flush
    log.add(Decision(T0 + timedelta(seconds=1), "MAX_ACTIVE_TRADES", False, "9 trades open", request))
    log.add(Decision(T0 + timedelta(seconds=2), "ORDER_RATE", False, "too fast", request))
    assert log.flush() == 0
    denials = decisions.denials(limit=5)
    assert [(d.rule, d.account, d.strategy, d.symbol, d.allowed) for d in denials] == [
        ("ORDER_RATE", "acct", "s1", "SPY", False), ("MAX_ACTIVE_TRADES", "acct", "s1", "SPY", False)]
    assert denials[0].ts == T0 + timedelta(seconds=2)
    assert [d.rule for d in decisions.denials(limit=1)] == ["ORDER_RATE"]
