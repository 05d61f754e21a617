"""JetStream pull consumers of the NATS bus: in-order delivery to one thread, explicit acks, redelivery skipped.

A :class:`Consumer` fetches on the bus loop and queues raw messages; the thread that takes them (the caller of
:meth:`Consumer.next`, or the bus's :class:`Dispatcher`) decodes them one at a time, in stream order. A
message whose stream sequence is at or below what this consumer has processed (``skip_through`` from the
service's own records, then every message it acknowledged) is a redelivery: it is acknowledged and skipped,
so delivering it again changes nothing. Acknowledgements are batched onto the loop without a round trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from theo.core.bus import codec
from theo.core.bus.base import Subscription
from theo.core.logging import get_logger

if TYPE_CHECKING:
    from theo.core.bus.nats import NatsBus

log = get_logger(__name__)
MAX_DELIVER = 5  # a message whose handler fails this often is given up (logged with its sequence and id)


@dataclass(slots=True)
class Delivery:
    """One message as a consumer receives it: its topic, the decoded message, the stream sequence, the
    publisher's message id and how often the server has delivered it (``> 1``: a redelivery)."""

    topic: str
    message: Any
    seq: int
    msg_id: str
    delivered: int
    raw: Any  # the nats message (None for a message read with NatsBus.last)


class Consumer:
    """One JetStream pull consumer (see the module docstring); made by :meth:`NatsBus.consume`."""

    def __init__(self, bus: NatsBus, subject: str, *, durable: str | None, deliver: str, start_seq: int,
                 skip_through: int, batch: int, max_ack_pending: int,
                 inbox: queue.SimpleQueue[tuple[Consumer, Any]] | None = None) -> None:
        if deliver not in ("new", "all"):
            raise ValueError(f"deliver={deliver!r}: use 'new' or 'all'")
        self.bus = bus
        self.subject = subject
        self.durable = durable
        self.deliver = deliver
        self.start_seq = start_seq
        self.processed = skip_through  # highest stream sequence processed (acknowledged or known done)
        self.batch = batch
        self.max_ack_pending = max_ack_pending
        self.inbox: queue.SimpleQueue[tuple[Consumer, Any]] = inbox if inbox is not None else queue.SimpleQueue()
        self.key = 0
        self.skipped = 0  # redeliveries of processed messages, acknowledged unseen
        self.undecodable = 0
        self.ack_floor = 0  # the durable consumer's acknowledged floor when it was opened
        self._psub: Any = None
        self._task: asyncio.Task[None] | None = None
        self._acks: deque[tuple[Any, bool]] = deque()  # (message, ack | nak)
        self._ack_scheduled = False
        self._ack_tasks: set[asyncio.Future[None]] = set()
        self._stopped = threading.Event()

    async def open(self) -> None:
        """Create the consumer. A durable one that exists is rewound to its acknowledged floor: the messages
        a crashed process had received without acknowledging come again first, in stream order (the server
        alone would resend them only after the ack wait, behind newer ones)."""
        from nats.js import api
        from nats.js.errors import NotFoundError

        js = self.bus._js
        policy = api.DeliverPolicy.ALL if self.deliver == "all" else api.DeliverPolicy.NEW
        start = self.start_seq
        if self.durable:
            try:
                info = await js.consumer_info(self.bus.stream, self.durable)
            except NotFoundError:
                info = None
            if info is not None:
                self.ack_floor = info.ack_floor.stream_seq if info.ack_floor else 0
                await js.delete_consumer(self.bus.stream, self.durable)
                policy = api.DeliverPolicy.ALL
                start = self.ack_floor + 1 if self.ack_floor else 0
        if start:
            policy = api.DeliverPolicy.BY_START_SEQUENCE
        config = api.ConsumerConfig(
            durable_name=self.durable, deliver_policy=policy, opt_start_seq=start or None,
            ack_policy=api.AckPolicy.EXPLICIT, ack_wait=30.0, max_deliver=MAX_DELIVER,
            max_ack_pending=self.max_ack_pending, filter_subject=self.subject,
            inactive_threshold=None if self.durable else 60.0)
        self._psub = await js.pull_subscribe(self.subject, durable=self.durable, stream=self.bus.stream,
                                             config=config)
        self._task = asyncio.ensure_future(self._fetch())

    async def _fetch(self) -> None:
        from nats.errors import TimeoutError as NatsTimeout

        while not self._stopped.is_set():
            try:
                msgs = await self._psub.fetch(self.batch, timeout=1.0)
            except (TimeoutError, NatsTimeout):
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a reconnect in progress: fetch again shortly
                log.warning("bus.fetch_failed", subject=self.subject, error=str(exc) or type(exc).__name__)
                await asyncio.sleep(0.5)
                continue
            for m in msgs:
                self.inbox.put((self, m))

    def accept(self, raw: Any) -> Delivery | None:
        """Decode ``raw``; ``None`` when it is a redelivery of a processed message or cannot be decoded."""
        meta = raw.metadata
        seq = meta.sequence.stream
        if seq <= self.processed:
            self.skipped += 1
            self._queue_ack(raw, True)
            return None
        headers = raw.headers or {}
        try:
            message = codec.decode(raw.data)
        except codec.CodecError as exc:
            self.undecodable += 1
            log.error("bus.undecodable", subject=raw.subject, seq=seq, msg_id=headers.get("Nats-Msg-Id", ""),
                      error=str(exc))
            self._queue_ack(raw, True)
            self.processed = max(self.processed, seq)
            return None
        return Delivery(self.bus.topic(raw.subject), message, seq, headers.get("Nats-Msg-Id", ""),
                        meta.num_delivered, raw)

    def next(self, timeout: float | None = None) -> Delivery | None:
        """The next message in stream order, or ``None`` when none came within ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                _, raw = self.inbox.get(timeout=left)
            except queue.Empty:
                return None
            delivery = self.accept(raw)
            if delivery is not None:
                return delivery

    def ack(self, delivery: Delivery) -> None:
        """The message is processed: never act on it again (acknowledged to the server without waiting)."""
        self.processed = max(self.processed, delivery.seq)
        if delivery.raw is not None:
            self._queue_ack(delivery.raw, True)

    def nak(self, delivery: Delivery) -> None:
        """Processing failed: the server delivers it again (at most ``MAX_DELIVER`` times in all)."""
        if delivery.raw is not None:
            self._queue_ack(delivery.raw, False)

    def _queue_ack(self, raw: Any, ok: bool) -> None:
        self._acks.append((raw, ok))
        if not self._ack_scheduled:
            self._ack_scheduled = True
            with contextlib.suppress(RuntimeError):  # the loop is closed: the server redelivers
                self.bus.loop.call_soon_threadsafe(self._send_acks)

    def _send_acks(self) -> None:
        self._ack_scheduled = False
        batch = list(self._acks)
        for _ in batch:
            self._acks.popleft()
        if batch:
            task = asyncio.ensure_future(self._ack_all(batch))
            self._ack_tasks.add(task)
            task.add_done_callback(self._ack_tasks.discard)

    async def _ack_all(self, batch: list[tuple[Any, bool]]) -> None:
        for raw, ok in batch:
            try:
                await (raw.ack() if ok else raw.nak(delay=1.0))
            except Exception as exc:  # not acknowledged: the server redelivers, and the redelivery is skipped
                log.warning("bus.ack_failed", subject=raw.subject, error=str(exc) or type(exc).__name__)

    def stop(self) -> None:
        """Stop fetching; an ephemeral consumer disappears on the server after a minute of inactivity."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self.bus.forget(self)

        async def halt() -> None:
            if self._task is not None:
                self._task.cancel()
            if self._psub is not None:
                with contextlib.suppress(Exception):
                    await self._psub.unsubscribe()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(halt(), self.bus.loop).result(3.0)


class Dispatcher:
    """Runs the handlers of :meth:`NatsBus.subscribe` on one thread, in the order the messages arrive."""

    def __init__(self, bus: NatsBus) -> None:
        self.bus = bus
        self.inbox: queue.SimpleQueue[tuple[Consumer, Any]] = queue.SimpleQueue()
        self._subs: dict[int, Subscription] = {}
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="theo-nats-dispatch", daemon=True)
        self._thread.start()

    def add(self, sub: Subscription) -> None:
        self._subs[sub.seq] = sub

    def remove(self, sub: Subscription) -> None:
        self._subs.pop(sub.seq, None)

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                consumer, raw = self.inbox.get(timeout=0.2)
            except queue.Empty:
                continue
            sub = self._subs.get(consumer.key)
            if sub is None or not sub.active:
                continue
            delivery = consumer.accept(raw)
            if delivery is None:
                continue
            try:
                sub.handler(delivery.topic, delivery.message)
            except Exception:
                self.bus.handler_errors += 1
                log.exception("bus.handler_failed", topic=delivery.topic, seq=delivery.seq, msg_id=delivery.msg_id,
                              delivered=delivery.delivered, max_deliver=MAX_DELIVER)
                consumer.nak(delivery)
                continue
            consumer.ack(delivery)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(2.0)
