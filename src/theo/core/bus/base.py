"""The message bus interface: dotted topics, wildcard subscriptions, deterministic dispatch.

Topics are dotted words: ``ticks.SPY``, ``bars.5m.SPY``, ``orders.filled``, ``feed.stale``. A pattern may
use ``*`` for exactly one word and a final ``>`` for one or more words (NATS subject semantics, so the
NATS JetStream implementation maps topics one to one).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

Handler = Callable[[str, Any], None]


def topic_matches(pattern: str, topic: str) -> bool:
    """True when ``topic`` matches ``pattern`` (``*`` one word, trailing ``>`` one or more words)."""
    p_parts = pattern.split(".")
    t_parts = topic.split(".")
    for i, part in enumerate(p_parts):
        if part == ">":
            return i == len(p_parts) - 1 and len(t_parts) > i
        if i >= len(t_parts):
            return False
        if part != "*" and part != t_parts[i]:
            return False
    return len(p_parts) == len(t_parts)


def validate_topic(topic: str, *, pattern: bool = False) -> None:
    """Raise ``ValueError`` for an empty word, whitespace, or wildcards where they are not allowed."""
    if not topic or any(not w for w in topic.split(".")) or any(c.isspace() for c in topic):
        raise ValueError(f"invalid topic {topic!r}: use dotted non-empty words such as 'bars.5m.SPY'")
    if not pattern and ("*" in topic.split(".") or ">" in topic.split(".")):
        raise ValueError(f"cannot publish to a wildcard topic {topic!r}")


class Subscription:
    """A handle returned by :meth:`MessageBus.subscribe`; pass it to ``unsubscribe``."""

    __slots__ = ("active", "handler", "pattern", "seq")

    def __init__(self, pattern: str, handler: Handler, seq: int) -> None:
        self.pattern = pattern
        self.handler = handler
        self.seq = seq
        self.active = True


class MessageBus(ABC):
    """Publish/subscribe on dotted topics.

    Contract: handlers of one topic run in the order they subscribed; a message published from inside a
    handler is delivered after the current message has reached all its handlers (breadth-first), so the
    dispatch order is a pure function of the order of calls.
    """

    @abstractmethod
    def publish(self, topic: str, message: Any) -> None:
        """Deliver ``message`` to every subscription whose pattern matches ``topic``."""

    @abstractmethod
    def subscribe(self, pattern: str, handler: Handler) -> Subscription:
        """Call ``handler(topic, message)`` for each message on a topic matching ``pattern``."""

    @abstractmethod
    def unsubscribe(self, subscription: Subscription) -> None:
        """Stop delivering to ``subscription``; unknown or inactive handles are ignored."""

    def has_subscribers(self, topic: str) -> bool:
        """True when a message on ``topic`` would reach a handler (publishers may skip building it otherwise)."""
        return True
