"""What every service process has: its config, the store, the NATS bus, a stop event and systemd's notifier.

:func:`run_service` is the one entry of ``theo service run NAME``: it refuses a config whose ``[bus] kind`` is
not ``nats`` (services only meet through NATS), connects, turns SIGTERM/SIGINT into the stop event, runs the
service and closes the bus (sending what is still queued) whatever happens.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from theo.config import TheoConfig
from theo.core.bus.base import MessageBus, Subscription
from theo.core.bus.consumer import Consumer, Delivery
from theo.core.bus.nats import NatsBus
from theo.core.errors import ConfigError
from theo.core.logging import get_logger
from theo.node.services.sdnotify import Notifier
from theo.persistence.repositories import Store

log = get_logger("theo.services")


@dataclass
class ServiceRuntime:
    """The pieces a service is built from (made by :func:`run_service`; tests build their own)."""

    name: str
    config: TheoConfig
    store: Store
    bus: NatsBus
    stop: threading.Event = field(default_factory=threading.Event)
    systemd: Notifier = field(default_factory=Notifier)
    options: dict[str, Any] = field(default_factory=dict)


def open_bus(config: TheoConfig, name: str) -> NatsBus:
    """Connect to ``[bus] url`` as client ``theo-<name>`` (raises ``BusError`` naming the URL)."""
    b = config.bus
    token = b.token.get_secret_value() if b.token is not None else None
    return NatsBus(b.url, prefix=b.prefix, stream=b.stream, name=f"theo-{name}", max_pending=b.max_pending,
                   max_age_hours=b.max_age_hours, duplicate_window_seconds=b.duplicate_window_seconds,
                   connect_timeout=b.connect_timeout_seconds, token=token).start()


def forward(local: MessageBus, remote: NatsBus, patterns: tuple[str, ...]) -> list[Subscription]:
    """Publish on NATS what the in-process bus carries on ``patterns``: the engine keeps its deterministic
    in-process dispatch, and the other services see the same messages (ids from the content, so a message
    sent again after a restart is stored once)."""
    def send(topic: str, message: Any) -> None:
        remote.publish(topic, message)

    return [local.subscribe(p, send) for p in patterns]


def follow(rt: ServiceRuntime, durable: str, pattern: str = ">") -> Iterator[tuple[Delivery, bool]]:
    """The stream for a stateful service: ``(delivery, replaying)`` in stream order until ``rt.stop``.

    A service rebuilds its state (open bars, indicators, the node) from the messages it has processed before,
    then follows: the durable consumer ``durable`` knows how far it got (its acknowledged floor); what lies up
    to there comes again through a replay consumer from the stream's start with ``replaying`` True (rebuild,
    no side effect), then the durable consumer goes on (``replaying`` False), redelivering what a killed
    process had received but not acknowledged. Each delivery is acknowledged when the next one is asked for,
    so a message counts as processed once the caller is done with it.
    """
    bus = rt.bus
    main = bus.consume(pattern, durable=durable, deliver="all")
    floor = main.processed = main.ack_floor
    rt.systemd.ready(f"rebuilding from {floor} processed messages" if floor else "following the stream")
    if floor:
        log.info("service.rebuilding", service=rt.name, through=floor)
        replay = bus.consume(pattern, deliver="all")
        try:
            for d in _deliveries(rt, replay):
                if d.seq > floor:
                    break
                yield d, True
                if d.seq >= floor:
                    break
        finally:
            replay.stop()
    yield from ((d, False) for d in _deliveries(rt, main))


def _deliveries(rt: ServiceRuntime, consumer: Consumer) -> Iterator[Delivery]:
    taken: Delivery | None = None
    try:
        while not rt.stop.is_set():
            d = consumer.next(0.25)
            rt.systemd.beat()
            if taken is not None:
                consumer.ack(taken)
                taken = None
            if d is not None:
                taken = d
                yield d
    finally:
        if taken is not None and not rt.stop.is_set():
            consumer.ack(taken)  # the caller stopped after taking it (not a crash)


def run_service(name: str, config: TheoConfig, store: Store, main: Callable[[ServiceRuntime], int],
                options: dict[str, Any] | None = None) -> int:
    """Run one service until it ends or SIGTERM/SIGINT; return its exit code."""
    if config.bus.kind != "nats":
        raise ConfigError(f'`theo service run {name}` needs [bus] kind = "nats" (services meet on a NATS server); '
                          f"the single process is `theo run`")
    notifier = Notifier()
    rt = ServiceRuntime(name, config, store, open_bus(config, name), systemd=notifier, options=options or {})

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("service.stopping", service=name, signal=signal.Signals(signum).name)
        rt.stop.set()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    log.info("service.started", service=name, bus=config.bus.url, stream=rt.bus.stream)
    try:
        return main(rt)
    finally:
        notifier.stopping()
        for s, handler in previous.items():
            signal.signal(s, handler)
        rt.bus.close()
        log.info("service.stopped", service=name)
