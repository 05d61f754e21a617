"""In-process message bus with deterministic, breadth-first dispatch."""

from __future__ import annotations

from collections import deque
from typing import Any

import structlog

from theo.core.bus.base import Handler, MessageBus, Subscription, topic_matches, validate_topic

log = structlog.get_logger(__name__)


class InMemoryBus(MessageBus):
    """The embedded bus of ``theo run`` and backtests.

    A handler that raises does not stop delivery to the other handlers: the error is logged with the
    topic and counted in :attr:`handler_errors`, unless ``raise_errors`` is set (tests, backtests), in
    which case the first error is re-raised once the queue is empty (every queued message is still
    delivered first, so one failure does not reorder the others).
    """

    def __init__(self, *, raise_errors: bool = False) -> None:
        self._subs: list[Subscription] = []
        self._cache: dict[str, list[Subscription]] = {}
        self._queue: deque[tuple[str, Any]] = deque()
        self._dispatching = False
        self._seq = 0
        self.raise_errors = raise_errors
        self.handler_errors = 0
        self.published = 0

    def subscribe(self, pattern: str, handler: Handler) -> Subscription:
        validate_topic(pattern, pattern=True)
        self._seq += 1
        sub = Subscription(pattern, handler, self._seq)
        self._subs.append(sub)
        self._cache.clear()
        return sub

    def unsubscribe(self, subscription: Subscription) -> None:
        if subscription in self._subs:
            subscription.active = False
            self._subs.remove(subscription)
            self._cache.clear()

    def _matching(self, topic: str) -> list[Subscription]:
        subs = self._cache.get(topic)
        if subs is None:
            subs = [s for s in self._subs if topic_matches(s.pattern, topic)]
            self._cache[topic] = subs
        return subs

    def has_subscribers(self, topic: str) -> bool:
        return bool(self._matching(topic))

    def publish(self, topic: str, message: Any) -> None:
        if topic not in self._cache:
            validate_topic(topic)
        self.published += 1
        self._queue.append((topic, message))
        if self._dispatching:
            return
        self._dispatching = True
        first_error: BaseException | None = None
        try:
            while self._queue:
                t, m = self._queue.popleft()
                for sub in tuple(self._matching(t)):
                    if not sub.active:
                        continue
                    try:
                        sub.handler(t, m)
                    except Exception as exc:
                        self.handler_errors += 1
                        if self.raise_errors:
                            first_error = first_error or exc
                        else:
                            log.exception("bus.handler_failed", topic=t, pattern=sub.pattern)
        finally:
            self._dispatching = False
        if first_error is not None:
            raise first_error
