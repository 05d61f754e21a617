"""The trading state follows the feeds: REDUCING while a symbol has no fresh data, ACTIVE again after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from theo.core.bus.memory import InMemoryBus
from theo.core.clock import SimulatedClock
from theo.data.failover.events import FeedsAvailable, FeedsUnavailable
from theo.data.gate import FeedResumed, FeedStale
from theo.node.feed_guard import FeedGuard
from theo.risk.state import State, TradingState

T0 = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
LATER = T0 + timedelta(seconds=30)


def rig() -> tuple[InMemoryBus, TradingState, FeedGuard, list[dict[str, Any]]]:
    bus = InMemoryBus(raise_errors=True)
    state = TradingState(SimulatedClock(T0))
    alerts: list[dict[str, Any]] = []
    bus.subscribe("alerts", lambda _t, m: alerts.append(m))
    return bus, state, FeedGuard(bus, state), alerts


def test_no_feed_fresh_reduces_with_an_alert_and_fresh_data_makes_it_active_again() -> None:
    bus, state, _guard, alerts = rig()
    bus.publish("feed.unavailable", FeedsUnavailable("SPY", "ibkr", T0, LATER, "no data from ibkr for 5.0 s"))
    assert state.state is State.REDUCING
    assert state.history[-1].actor == "feed-guard"
    assert "SPY" in state.history[-1].reason
    assert alerts[-1]["level"] == "critical"
    assert "REDUCING" in alerts[-1]["text"]
    assert alerts[-1]["source"] == "marketdata"
    bus.publish("feed.available", FeedsAvailable("SPY", "polygon", T0, LATER))
    assert state.state is State.ACTIVE
    assert "ACTIVE again" in alerts[-1]["text"]


def test_it_stays_reducing_until_every_symbol_and_every_sign_has_cleared() -> None:
    bus, state, _guard, _alerts = rig()
    bus.publish("feed.unavailable", FeedsUnavailable("SPY", "ibkr", T0, LATER, "silent"))
    bus.publish("feed.stale", FeedStale("QQQ", "ibkr", T0, LATER))
    bus.publish("feed.stale", FeedStale("SPY", "ibkr", T0, LATER))
    bus.publish("feed.available", FeedsAvailable("SPY", "polygon", T0, LATER))
    bus.publish("feed.resumed", FeedResumed("QQQ", "ibkr", T0, LATER))
    assert state.state is State.REDUCING  # the gate still has SPY stale
    bus.publish("feed.resumed", FeedResumed("SPY", "ibkr", T0, LATER))
    assert state.state is State.ACTIVE
    assert [c.state for c in state.history] == [State.REDUCING, State.ACTIVE]


def test_an_operators_halt_is_never_overridden() -> None:
    bus, state, _guard, alerts = rig()
    state.halt("checking the account", "ann")
    bus.publish("feed.unavailable", FeedsUnavailable("SPY", "ibkr", T0, LATER, "silent"))
    assert state.state is State.HALTED
    assert "stays HALTED" in alerts[-1]["text"]
    bus.publish("feed.available", FeedsAvailable("SPY", "ibkr", T0, LATER))
    assert state.state is State.HALTED


def test_a_halt_during_the_outage_survives_the_recovery() -> None:
    bus, state, _guard, alerts = rig()
    bus.publish("feed.unavailable", FeedsUnavailable("SPY", "ibkr", T0, LATER, "silent"))
    state.halt("broker trouble", "ann")
    bus.publish("feed.available", FeedsAvailable("SPY", "ibkr", T0, LATER))
    assert state.state is State.HALTED
    assert "stays HALTED" in alerts[-1]["text"]
    assert "ann" in alerts[-1]["text"]


def test_a_reduction_left_by_a_previous_run_is_lifted_but_an_operators_is_not() -> None:
    bus = InMemoryBus(raise_errors=True)
    state = TradingState(SimulatedClock(T0))
    state.reduce("no fresh market data for SPY: silent", "feed-guard")  # the run stopped during the outage
    FeedGuard(bus, state)
    assert state.state is State.ACTIVE
    assert state.history[-1].actor == "feed-guard"
    state.reduce("end of quarter", "ann")
    FeedGuard(InMemoryBus(), state)
    assert state.state is State.REDUCING
