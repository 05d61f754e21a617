"""Simulated and live clocks: timers in order, ties in insertion order, cancel, time never goes back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from theo.core.clock import LiveClock, SimulatedClock

T0 = datetime(2026, 3, 9, 13, 30, tzinfo=UTC)


def test_timers_fire_in_time_order_with_the_clock_at_their_time() -> None:
    clock = SimulatedClock(T0)
    fired: list[tuple[str, datetime, datetime]] = []
    clock.call_at(T0 + timedelta(minutes=5), lambda t: fired.append(("b", t, clock.now())))
    clock.call_at(T0 + timedelta(minutes=1), lambda t: fired.append(("a", t, clock.now())))
    clock.call_later(timedelta(minutes=10), lambda t: fired.append(("c", t, clock.now())))
    assert clock.next_timer() == T0 + timedelta(minutes=1)
    clock.advance_to(T0 + timedelta(minutes=7))
    assert fired == [("a", T0 + timedelta(minutes=1), T0 + timedelta(minutes=1)),
                     ("b", T0 + timedelta(minutes=5), T0 + timedelta(minutes=5))]
    assert clock.now() == T0 + timedelta(minutes=7)
    assert clock.next_timer() == T0 + timedelta(minutes=10)


def test_ties_fire_in_insertion_order() -> None:
    clock = SimulatedClock(T0)
    fired: list[int] = []
    for i in range(5):
        clock.call_at(T0 + timedelta(seconds=1), lambda t, i=i: fired.append(i))
    clock.advance_to(T0 + timedelta(seconds=1))
    assert fired == [0, 1, 2, 3, 4]


def test_timer_set_by_a_timer_for_the_same_instant_fires_in_the_same_advance() -> None:
    clock = SimulatedClock(T0)
    fired: list[str] = []
    clock.call_at(T0, lambda t: (fired.append("outer"), clock.call_at(t, lambda u: fired.append("inner"))))
    clock.advance_to(T0)
    assert fired == ["outer", "inner"]


def test_cancel_prevents_firing_and_unknown_ids_are_ignored() -> None:
    clock = SimulatedClock(T0)
    fired: list[str] = []
    keep = clock.call_at(T0 + timedelta(seconds=2), lambda t: fired.append("keep"))
    drop = clock.call_at(T0 + timedelta(seconds=1), lambda t: fired.append("drop"))
    clock.cancel(drop)
    clock.cancel(9999)
    assert clock.next_timer() == T0 + timedelta(seconds=2)
    clock.advance_to(T0 + timedelta(hours=1))
    assert fired == ["keep"]
    assert keep != drop
    assert clock.next_timer() is None


def test_time_never_goes_backwards() -> None:
    clock = SimulatedClock(T0)
    clock.advance_to(T0 + timedelta(hours=1))
    clock.advance_to(T0)
    assert clock.now() == T0 + timedelta(hours=1)
    # a timer set in the past fires on the next advance, without moving the clock back
    seen: list[datetime] = []
    clock.call_at(T0, lambda t: seen.append(clock.now()))
    clock.advance_to(T0 + timedelta(hours=1))
    assert seen == [T0 + timedelta(hours=1)]


def test_naive_times_are_refused_and_offsets_normalised() -> None:
    with pytest.raises(ValueError, match="no timezone"):
        SimulatedClock(datetime(2026, 1, 1))
    clock = SimulatedClock(datetime(2026, 1, 1, 4, 0, tzinfo=timezone(timedelta(hours=-5))))
    assert clock.now() == datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC
    with pytest.raises(ValueError, match="no timezone"):
        clock.call_at(datetime(2026, 1, 2), lambda t: None)


def test_live_clock_is_utc_and_runs_due_timers() -> None:
    clock = LiveClock()
    now = clock.now()
    assert now.tzinfo is UTC
    fired: list[str] = []
    clock.call_at(now - timedelta(seconds=1), lambda t: fired.append("due"))
    clock.call_at(now + timedelta(days=1), lambda t: fired.append("later"))
    cancelled = clock.call_at(now - timedelta(seconds=2), lambda t: fired.append("cancelled"))
    clock.cancel(cancelled)
    assert clock.run_due() == 1
    assert fired == ["due"]
    assert clock.next_timer() == now + timedelta(days=1)
