"""The in-process bus: NATS-style wildcards, deterministic breadth-first dispatch, isolated handler errors."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theo.core.bus import InMemoryBus, topic_matches


@pytest.mark.parametrize(("pattern", "topic", "expected"), [
    ("ticks.SPY", "ticks.SPY", True),
    ("ticks.SPY", "ticks.QQQ", False),
    ("ticks.*", "ticks.SPY", True),
    ("ticks.*", "ticks", False),
    ("ticks.*", "ticks.SPY.x", False),
    ("bars.*.SPY", "bars.5m.SPY", True),
    ("bars.*.SPY", "bars.5m.QQQ", False),
    ("bars.>", "bars.5m.SPY", True),
    ("bars.>", "bars.5m", True),
    ("bars.>", "bars", False),  # '>' needs at least one more word
    (">", "orders.filled", True),
    ("*.filled", "orders.filled", True),
    ("orders.filled", "orders.filled.x", False),
])
def test_wildcards(pattern: str, topic: str, expected: bool) -> None:
    assert topic_matches(pattern, topic) is expected


def test_handlers_of_one_topic_run_in_subscription_order() -> None:
    bus = InMemoryBus(raise_errors=True)
    seen: list[str] = []
    bus.subscribe("bars.>", lambda t, m: seen.append(f"all:{t}"))
    bus.subscribe("bars.5m.SPY", lambda t, m: seen.append(f"exact:{m}"))
    bus.subscribe("bars.*.SPY", lambda t, m: seen.append(f"star:{m}"))
    bus.publish("bars.5m.SPY", 1)
    bus.publish("bars.1h.QQQ", 2)
    assert seen == ["all:bars.5m.SPY", "exact:1", "star:1", "all:bars.1h.QQQ"]


def test_dispatch_is_breadth_first() -> None:
    bus = InMemoryBus(raise_errors=True)
    seen: list[tuple[str, str]] = []

    def first(topic: str, msg: Any) -> None:
        seen.append(("first", topic))
        if topic == "a":
            bus.publish("b", None)  # delivered after every handler of "a" has run

    bus.subscribe("*", first)
    bus.subscribe("*", lambda t, m: seen.append(("second", t)))
    bus.publish("a", None)
    assert seen == [("first", "a"), ("second", "a"), ("first", "b"), ("second", "b")]


def test_unsubscribe_stops_delivery_even_mid_dispatch() -> None:
    bus = InMemoryBus(raise_errors=True)
    seen: list[str] = []
    subs: list[Any] = []

    def killer(topic: str, msg: Any) -> None:
        seen.append("killer")
        bus.unsubscribe(subs[1])

    subs.append(bus.subscribe("x", killer))
    subs.append(bus.subscribe("x", lambda t, m: seen.append("victim")))
    bus.publish("x", None)
    bus.publish("x", None)
    assert seen == ["killer", "killer"]
    assert not bus.has_subscribers("y")
    bus.unsubscribe(subs[1])  # unknown handles are ignored


def test_handler_error_is_isolated_and_counted() -> None:
    bus = InMemoryBus()
    seen: list[str] = []

    def boom(topic: str, msg: Any) -> None:
        raise RuntimeError("boom")

    bus.subscribe("x", boom)
    bus.subscribe("x", lambda t, m: seen.append(m))
    bus.publish("x", "after")
    assert seen == ["after"]
    assert bus.handler_errors == 1
    assert bus.published == 1


def test_handler_error_is_raised_when_asked_after_delivery_completes() -> None:
    bus = InMemoryBus(raise_errors=True)
    seen: list[str] = []

    def boom(topic: str, msg: Any) -> None:
        raise RuntimeError("boom")

    bus.subscribe("x", boom)
    bus.subscribe("x", lambda t, m: seen.append(m))
    with pytest.raises(RuntimeError, match="boom"):
        bus.publish("x", "m")
    assert seen == ["m"]
    bus.publish("y", "still works")  # the bus is not stuck in dispatch


@pytest.mark.parametrize("topic", ["", "a..b", "a b", ".a"])
def test_invalid_topics_are_refused(topic: str) -> None:
    bus = InMemoryBus()
    with pytest.raises(ValueError, match="invalid topic"):
        bus.publish(topic, None)


def test_publishing_to_a_wildcard_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot publish to a wildcard topic"):
        InMemoryBus().publish("ticks.*", None)


WORDS = st.sampled_from(["a", "b", "c"])
TOPICS = st.lists(WORDS, min_size=1, max_size=3).map(".".join)
PATTERNS = st.lists(st.sampled_from(["a", "b", "*"]), min_size=1, max_size=3).map(".".join) | st.sampled_from(
    ["a.>", ">", "b.>"])
CALLS = st.lists(st.one_of(st.tuples(st.just("sub"), PATTERNS), st.tuples(st.just("pub"), TOPICS),
                           st.tuples(st.just("unsub"), st.integers(0, 5))), max_size=25)


def run_calls(calls: list[tuple[str, Any]]) -> list[tuple[int, str, int]]:
    bus = InMemoryBus(raise_errors=True)
    log: list[tuple[int, str, int]] = []
    subs: list[Any] = []
    counter = iter(range(10_000))

    def make(index: int) -> Any:
        def handler(topic: str, msg: int) -> None:
            log.append((index, topic, msg))
            if msg % 3 == 0 and index == 0 and topic.count(".") < 2:
                bus.publish(topic + ".a", next(counter))  # a cascade, breadth-first

        return handler

    for kind, arg in calls:
        if kind == "sub":
            subs.append(bus.subscribe(arg, make(len(subs))))
        elif kind == "pub":
            bus.publish(arg, next(counter))
        elif subs:
            bus.unsubscribe(subs[arg % len(subs)])
    return log


@settings(deadline=None)
@given(CALLS)
def test_dispatch_order_is_a_pure_function_of_the_calls(calls: list[tuple[str, Any]]) -> None:
    first = run_calls(calls)
    assert run_calls(calls) == first
    # and every delivery matches its subscription's pattern
    patterns = [arg for kind, arg in calls if kind == "sub"]
    for index, topic, _ in first:
        assert topic_matches(patterns[index], topic)
