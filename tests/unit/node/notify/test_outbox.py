"""The outbox: each (alert, chat) queued once, in order per chat, bounded with the oldest low-priority first
to go, superseded connection alerts replaced, blocked chats emptied."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from theo.config.telegram import AlertKind
from theo.node.notify.alerts import Alert, Priority
from theo.node.notify.outbox import Outbox


def _alert(key: str, prio: Priority = Priority.NORMAL, kind: AlertKind = AlertKind.SIGNAL, group: str = "") -> Alert:
    return Alert(kind, key, f"text {key}", prio, group=group)


def _drain(box: Outbox) -> list[tuple[int, str]]:
    out = []
    while heads := box.heads():
        d = heads[0]
        assert box.take(d)
        box.sent(d)
        out.append((d.chat_id, d.alert.key))
    return out


def test_the_same_key_is_queued_and_sent_once_per_chat() -> None:
    box = Outbox(100)
    assert box.put(_alert("signal:1"), [(1, False), (2, False)]) == 2
    assert box.put(_alert("signal:1"), [(1, False), (2, False)]) == 0  # still queued
    assert _drain(box) == [(1, "signal:1"), (2, "signal:1")]
    assert box.put(_alert("signal:1"), [(1, False)]) == 0  # already sent
    assert box.duplicates == 3
    assert box.delivered == 2


def test_a_full_queue_drops_the_oldest_summary_before_any_signal() -> None:
    box = Outbox(4)
    box.put(_alert("summary:1", Priority.LOW, AlertKind.SUMMARY), [(1, False)])
    box.put(_alert("signal:1"), [(1, False)])
    box.put(_alert("summary:2", Priority.LOW, AlertKind.SUMMARY), [(1, False)])
    box.put(_alert("risk:1", Priority.URGENT, AlertKind.RISK), [(1, False)])
    box.put(_alert("signal:2"), [(1, False)])  # full: summary:1 goes
    box.put(_alert("signal:3"), [(1, False)])  # full: summary:2 goes
    box.put(_alert("signal:4"), [(1, False)])  # no low left: the oldest normal (signal:1) goes
    assert [k for _c, k in _drain(box)] == ["risk:1", "signal:2", "signal:3", "signal:4"]
    assert box.dropped == {"full:summary": 2, "full:signal": 1}


def test_a_message_being_sent_is_never_the_one_dropped() -> None:
    box = Outbox(2)
    box.put(_alert("s:1", Priority.LOW), [(1, False)])
    head = box.heads()[0]
    assert box.take(head)
    box.put(_alert("s:2", Priority.LOW), [(1, False)])
    box.put(_alert("s:3", Priority.NORMAL), [(1, False)])  # drops s:2, not the in-flight s:1
    box.sent(head)
    assert [k for _c, k in _drain(box)] == ["s:3"]


def test_a_newer_alert_of_the_same_group_replaces_the_queued_one() -> None:
    box = Outbox(10)
    box.put(_alert("feed:stale:SPY", group="feed:SPY"), [(1, False)])
    box.put(_alert("feed:resumed:SPY", group="feed:SPY"), [(1, False)])
    assert _drain(box) == [(1, "feed:resumed:SPY")]
    assert box.dropped == {"superseded": 1}


def test_a_disabled_chat_loses_its_queue_and_takes_no_more() -> None:
    box = Outbox(10)
    box.put(_alert("a"), [(1, False), (2, False)])
    box.put(_alert("b"), [(1, False)])
    assert box.disable(1, "chat_blocked") == 2
    assert box.put(_alert("c"), [(1, False), (2, False)]) == 1
    assert _drain(box) == [(2, "a"), (2, "c")]
    assert box.dropped == {"chat_blocked": 2}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.sampled_from(list(Priority)), st.integers(1, 3)), max_size=80),
       st.integers(10, 20))
def test_queue_stays_bounded_keeps_chat_order_and_accounts_for_every_message(
        items: list[tuple[int, Priority, int]], size: int) -> None:
    box = Outbox(size)
    queued = 0
    accepted: list[tuple[int, str]] = []
    for n, prio, chat in items:
        added = box.put(_alert(f"k{n}", prio), [(chat, False)])
        queued += added
        if added:
            accepted.append((chat, f"k{n}"))
        assert len(box) <= size
    sent = _drain(box)
    dropped = sum(box.dropped.values())
    assert len(sent) + dropped == queued
    for chat in (1, 2, 3):
        keys = [k for c, k in sent if c == chat]
        assert len(keys) == len(set(keys))
        order = iter(k for c, k in accepted if c == chat)
        assert all(k in order for k in keys)  # a subsequence: sent in the order they were queued
