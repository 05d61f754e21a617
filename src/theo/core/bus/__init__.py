"""Publish/subscribe bus: an interface and its in-process implementation."""

from theo.core.bus.base import Handler, MessageBus, Subscription, topic_matches
from theo.core.bus.memory import InMemoryBus

__all__ = ["Handler", "InMemoryBus", "MessageBus", "Subscription", "topic_matches"]
