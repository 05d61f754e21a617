"""The message bus over NATS JetStream: the same dotted topics, between processes.

Topic ``ticks.SPY`` is subject ``<prefix>.ticks.SPY`` in one stream (``[bus] stream``) that captures
``<prefix>.>``, so one consumer sees every topic it filters in the stream's total order. Payloads travel through
:mod:`theo.core.bus.codec`.

Threads. :meth:`MessageBus.publish` and ``subscribe`` are synchronous and the engine's thread must never wait
on the network, so the bus owns an asyncio loop in a thread of its own ("theo-nats"). ``publish`` encodes the
message in the caller's thread and appends it to an in-order outbox (it blocks only when ``max_pending``
messages are not yet stored by the server: back-pressure, never a dropped message); one publisher task on the
loop sends them in order on one connection, so the per-subject order (and the global order of one publisher)
is kept. Each message carries a ``Nats-Msg-Id``: the server stores a message id once within the stream's
duplicate window, so a publish retried after a lost acknowledgement, or a restarted publisher that sends the
same ids again, stores nothing twice. (A message the server never acknowledged is sent again; in the rare
case that it was lost while the ones after it were stored, it is stored after them: still once.)

Delivery is at least once: consumers are pull consumers with explicit acknowledgement. A durable consumer
(``durable="name"``) keeps its place on the server; what a crashed process received but had not acknowledged
is delivered again to the next one. Redelivery changes nothing: a consumer acknowledges and skips a message
whose stream sequence it has processed (:class:`~theo.core.bus.consumer.Consumer`), and ``skip_through`` lets
a service pass the sequence its own records say it has processed. Handlers given to :meth:`subscribe` run on
one dispatch thread ("theo-nats-dispatch"), one message at a time, in order; :meth:`consume` hands the
messages to the caller's own loop instead.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections import deque
from collections.abc import Coroutine
from typing import Any, TypeVar

from theo.core.bus import codec
from theo.core.bus.base import Handler, MessageBus, Subscription, validate_topic
from theo.core.bus.consumer import Consumer, Delivery, Dispatcher
from theo.core.errors import TheoError
from theo.core.logging import get_logger

log = get_logger(__name__)
T = TypeVar("T")
MSG_ID = "Nats-Msg-Id"


class BusError(TheoError):
    """The NATS server is unreachable or refused a request (the message names the URL and what to do)."""


class NatsBus(MessageBus):
    """Publish/subscribe through a NATS JetStream server (see the module docstring). Call :meth:`start`."""

    def __init__(self, url: str = "nats://127.0.0.1:4222", *, prefix: str = "theo", stream: str = "",
                 name: str = "theo", max_pending: int = 50_000, max_age_hours: float = 72.0,
                 duplicate_window_seconds: float = 7200.0, connect_timeout: float = 5.0,
                 ack_timeout: float = 5.0, token: str | None = None) -> None:
        validate_topic(prefix)
        self.url = url
        self.prefix = prefix
        self.stream = stream or prefix.upper().replace(".", "_")
        self.name = name
        self.max_age_hours = max_age_hours
        self.duplicate_window_seconds = duplicate_window_seconds
        self.connect_timeout = connect_timeout
        self.ack_timeout = ack_timeout
        self._token = token
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="theo-nats", daemon=True)
        self._nc: Any = None
        self._js: Any = None
        self._outbox: deque[tuple[str, bytes, str]] = deque()
        self._wake: asyncio.Event | None = None
        self._busy = False
        self._room = threading.BoundedSemaphore(max_pending)
        self._max_pending = max_pending
        self._unacked = 0
        self._settled = threading.Condition()
        self._tasks: list[asyncio.Task[Any]] = []
        self._consumers: dict[int, Consumer] = {}
        self._dispatcher: Dispatcher | None = None
        self._seq = 0
        self.published = 0
        self.republished = 0  # publishes sent again after a lost or failed acknowledgement
        self.duplicates = 0  # publishes the server had already stored (same Nats-Msg-Id)
        self.handler_errors = 0
        self.closed = False

    # -- life cycle -----------------------------------------------------------------------------------------
    def start(self) -> NatsBus:
        """Connect and make sure the stream exists; raise :class:`BusError` naming the URL when it cannot."""
        self._thread.start()
        try:
            self._call(self._connect(), self.connect_timeout + 5)
        except BusError:
            self.loop.call_soon_threadsafe(self.loop.stop)
            raise
        return self

    async def _connect(self) -> None:
        import nats
        from nats.js import api

        async def quiet(exc: Exception) -> None:
            log.warning("bus.nats_error", url=self.url, error=str(exc) or type(exc).__name__)

        try:
            # reconnects forever once connected; the first connection gets connect_timeout (then a clear error)
            self._nc = await asyncio.wait_for(nats.connect(
                self.url, name=self.name, connect_timeout=self.connect_timeout, max_reconnect_attempts=-1,
                reconnect_time_wait=0.5, allow_reconnect=True, error_cb=quiet, token=self._token),
                self.connect_timeout)
        except (Exception, TimeoutError) as exc:
            raise BusError(f"cannot reach the NATS server at {self.url} ({exc or type(exc).__name__}): start it "
                           f"(Debian: apt-get install nats-server; nats-server -js) or fix [bus] url") from exc
        self._js = self._nc.jetstream(timeout=self.ack_timeout)
        config = api.StreamConfig(name=self.stream, subjects=[f"{self.prefix}.>"], storage=api.StorageType.FILE,
                                  max_age=self.max_age_hours * 3600, duplicate_window=self.duplicate_window_seconds)
        try:
            try:
                await self._js.stream_info(self.stream)
            except Exception:
                await self._js.add_stream(config)
        except Exception as exc:
            raise BusError(f"NATS at {self.url} refused stream {self.stream} ({exc}): is JetStream on "
                           f"(nats-server -js)? Does another stream already take subjects {self.prefix}.>?"
                           ) from exc
        self._wake = asyncio.Event()
        self._tasks.append(asyncio.ensure_future(self._publisher()))
        log.info("bus.connected", url=self.url, stream=self.stream, prefix=self.prefix)

    def close(self, timeout: float = 10.0) -> None:
        """Send what is queued (waiting up to ``timeout``), stop the consumers, disconnect."""
        if self.closed or not self._thread.is_alive():
            self.closed = True
            return
        self.flush(timeout)
        self.closed = True
        if self._dispatcher is not None:
            self._dispatcher.stop()
        for consumer in list(self._consumers.values()):
            consumer.stop()

        async def shutdown() -> None:
            for task in self._tasks:
                task.cancel()
            if self._nc is not None:
                try:
                    await asyncio.wait_for(self._nc.drain(), 3.0)
                except Exception:  # already gone: nothing left to send
                    await self._nc.close()

        try:
            self._call(shutdown(), 6.0)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5.0)

    def _call(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        """Run ``coro`` on the bus loop and wait for it (never called from the loop itself)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    # -- publishing ---------------------------------------------------------------------------------------------
    def subject(self, topic: str) -> str:
        return f"{self.prefix}.{topic}"

    def topic(self, subject: str) -> str:
        return subject[len(self.prefix) + 1:]

    def publish(self, topic: str, message: Any, *, msg_id: str | None = None) -> None:
        """Queue ``message`` on ``topic``; ``msg_id`` names it for de-duplication (default: a digest of the topic
        and the payload, so an identical message published again within the duplicate window is stored once;
        give distinct ids to distinct events that can look alike, such as two identical prints)."""
        if self.closed:
            raise BusError("the NATS bus is closed")
        validate_topic(topic)
        data = codec.encode(message)
        mid = msg_id or hashlib.blake2b(topic.encode() + b"\0" + data, digest_size=16).hexdigest()
        if not self._room.acquire(timeout=0.5):
            log.warning("bus.publish_backpressure", pending=self._max_pending, url=self.url)
            self._room.acquire()
        with self._settled:
            self._unacked += 1
        self._outbox.append((self.subject(topic), data, mid))
        self.published += 1
        if not self._busy:
            self.loop.call_soon_threadsafe(self._wake_publisher)

    def _wake_publisher(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def _publisher(self) -> None:
        """Send the outbox in order, in chunks; a message leaves it once the server has stored it (or had it)."""
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            while True:
                self._busy = True
                while self._outbox:
                    chunk: list[tuple[str, bytes, str]] = []
                    while self._outbox and len(chunk) < 1024:
                        chunk.append(self._outbox.popleft())
                    await self._store(chunk)
                self._busy = False
                if not self._outbox:
                    break

    async def _store(self, chunk: list[tuple[str, bytes, str]]) -> None:
        """Publish ``chunk`` pipelined and wait for the server's acknowledgements; send again (same ids, so
        stored once) what was not acknowledged, in order, until it is."""
        todo = chunk
        while todo:
            futures = [await self._send(item) for item in todo]
            done, _ = await asyncio.wait(futures, timeout=self.ack_timeout)
            again = []
            for item, fut in zip(todo, futures, strict=True):
                if fut in done and fut.exception() is None:
                    if getattr(fut.result(), "duplicate", False):
                        self.duplicates += 1
                    continue
                if fut not in done:
                    fut.cancel()
                again.append(item)
            if again:
                self.republished += len(again)
                err = next((f.exception() for f in futures if f.done() and not f.cancelled() and f.exception()),
                           None)
                log.warning("bus.publish_unacknowledged", count=len(again), first=again[0][0],
                            error=str(err) if err else f"no acknowledgement within {self.ack_timeout} s")
            todo = again
        for _ in chunk:
            self._room.release()
        with self._settled:
            self._unacked -= len(chunk)
            if self._unacked == 0:
                self._settled.notify_all()

    async def _send(self, item: tuple[str, bytes, str]) -> asyncio.Future[Any]:
        subject, data, mid = item
        while True:
            try:
                fut: asyncio.Future[Any] = await self._js.publish_async(subject, data, headers={MSG_ID: mid})
                return fut
            except Exception as exc:  # disconnected, stalled: wait and send again (same id: stored once)
                log.warning("bus.publish_retry", subject=subject, error=str(exc) or type(exc).__name__)
                await asyncio.sleep(0.5)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until the server has stored everything published so far; False when ``timeout`` ran out."""
        deadline = time.monotonic() + timeout
        with self._settled:
            while self._unacked:
                left = deadline - time.monotonic()
                if left <= 0:
                    log.warning("bus.flush_timeout", pending=self._unacked, url=self.url)
                    return False
                self._settled.wait(left)
        return True

    # -- consuming ---------------------------------------------------------------------------------------------
    def consume(self, pattern: str, *, durable: str | None = None, deliver: str = "new", start_seq: int = 0,
                skip_through: int = 0, batch: int = 1024, max_ack_pending: int = 20_000) -> Consumer:
        """A pull consumer of ``pattern`` whose messages the caller takes with :meth:`Consumer.next`.

        ``deliver``: ``new`` (messages published from now on) or ``all`` (the stream from its start), for a
        consumer created now; a durable one that exists resumes where it was acknowledged. ``start_seq`` starts
        at that stream sequence; ``skip_through``: sequences up to it are acknowledged unseen (processed).
        """
        return self._open(pattern, None, durable=durable, deliver=deliver, start_seq=start_seq,
                          skip_through=skip_through, batch=batch, max_ack_pending=max_ack_pending)

    def _open(self, pattern: str, sub: Subscription | None, **options: Any) -> Consumer:
        validate_topic(pattern, pattern=True)
        self._seq += 1
        inbox = None
        if sub is not None:
            if self._dispatcher is None:
                self._dispatcher = Dispatcher(self)
            sub.seq = self._seq
            self._dispatcher.add(sub)
            inbox = self._dispatcher.inbox
        consumer = Consumer(self, self.subject(pattern), inbox=inbox, **options)
        consumer.key = self._seq
        try:
            self._call(consumer.open(), self.connect_timeout + 5)
        except Exception:
            if sub is not None and self._dispatcher is not None:
                self._dispatcher.remove(sub)
            raise
        self._consumers[consumer.key] = consumer
        return consumer

    def subscribe(self, pattern: str, handler: Handler, *, durable: str | None = None,
                  deliver: str = "new") -> Subscription:
        """Call ``handler(topic, message)`` on the dispatch thread for each message of ``pattern``; it is
        acknowledged once the handler returns (a handler that raises gets it again, up to ``max_deliver``)."""
        sub = Subscription(pattern, handler, 0)
        self._open(pattern, sub, durable=durable, deliver=deliver, start_seq=0, skip_through=0, batch=1024,
                   max_ack_pending=20_000)
        return sub

    def unsubscribe(self, subscription: Subscription) -> None:
        subscription.active = False
        consumer = self._consumers.pop(subscription.seq, None)
        if consumer is not None:
            if self._dispatcher is not None:
                self._dispatcher.remove(subscription)
            consumer.stop()

    def forget(self, consumer: Consumer) -> None:
        self._consumers.pop(consumer.key, None)

    def last(self, topic: str) -> Delivery | None:
        """The last message stored on ``topic`` (an exact topic), or ``None``: where a publisher resumes."""
        from nats.js.errors import NotFoundError

        async def get() -> Any:
            try:
                return await self._js.get_last_msg(self.stream, self.subject(topic))
            except NotFoundError:
                return None

        raw = self._call(get(), self.ack_timeout + 5)
        if raw is None:
            return None
        headers = raw.headers or {}
        return Delivery(topic, codec.decode(raw.data), raw.seq, headers.get(MSG_ID, ""), 1, None)

    def pending(self) -> int:
        """Messages published and not yet stored by the server."""
        return self._unacked

    def purge(self) -> None:
        """Delete every message of the stream (tests, a fresh paper account)."""
        self._call(self._js.purge_stream(self.stream), self.ack_timeout + 5)
