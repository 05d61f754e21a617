"""The notifier service: Telegram alerts and commands (:func:`theo.node.notify.service.run_notifier`) on the
events the other services publish on NATS.

Its subscriptions are durable JetStream consumers (``notifier-<topic>``): while the notifier is down (a
restart, an upgrade) the events wait in the stream and reach it when it is back, once each (the notifier keeps
what it sent in the store and de-duplicates what a crash made it see twice). A consumer created for the first
time starts at "now". Ticks (for the first and last tick of a session) are state, not events: they are
followed from "now" only.
"""

from __future__ import annotations

from typing import Any

from theo.core.bus.base import Handler, MessageBus, Subscription
from theo.core.bus.nats import NatsBus
from theo.node.services.runtime import ServiceRuntime


class DurableBus(MessageBus):
    """``bus`` whose subscriptions are durable consumers named after the service and the pattern."""

    def __init__(self, bus: NatsBus, name: str) -> None:
        self.bus = bus
        self.name = name

    def publish(self, topic: str, message: Any) -> None:
        self.bus.publish(topic, message)

    def subscribe(self, pattern: str, handler: Handler) -> Subscription:
        if pattern.startswith("ticks."):
            return self.bus.subscribe(pattern, handler)
        slug = pattern.replace(".", "_").replace("*", "any").replace(">", "all")
        return self.bus.subscribe(pattern, handler, durable=f"{self.name}-{slug}", deliver="new")

    def unsubscribe(self, subscription: Subscription) -> None:
        self.bus.unsubscribe(subscription)


def run(rt: ServiceRuntime) -> int:
    """``theo service run notifier``: until SIGTERM/SIGINT."""
    import threading

    from theo.node.notify.service import run_notifier

    def beat() -> None:  # the notifier's own threads do the work; this says the process answers
        while not rt.stop.wait(1.0):
            rt.systemd.beat()

    threading.Thread(target=beat, name="theo-watchdog", daemon=True).start()
    rt.systemd.ready("notifying")
    run_notifier(rt.config, rt.store, DurableBus(rt.bus, "notifier"), rt.stop)
    return 0
