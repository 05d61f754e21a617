"""The live event stream: :class:`EventHub` fans events out to the WebSocket clients without ever blocking.

Publishers (the engine's thread, the API's worker threads) call :meth:`EventHub.publish`; it encodes the event
once and appends it to each client's queue under a short lock, then wakes the client's sender on the API's
event loop. Nothing a publisher does waits for a socket.

* Ticks are throttled per symbol to at most :data:`TICKS_PER_SECOND`; a tick arriving sooner waits as the
  symbol's pending tick (a newer one replaces it) and goes out when the interval has passed, so the last price
  always arrives.
* Each client's queue is bounded (:data:`QUEUE_LIMIT`). A slow client loses its oldest *droppable* events
  (ticks, bars, pnl, health), counted in ``dropped``; orders, fills, trades, signals, state changes, alerts and
  backtest progress are never dropped. A client whose undroppable backlog passes :data:`CRITICAL_LIMIT` is
  disconnected (it reconnects and reloads the page's data).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic_core import to_jsonable_python

TICKS_PER_SECOND = 4
QUEUE_LIMIT = 1000
CRITICAL_LIMIT = 10_000
#: Kinds a slow client may lose (the next one replaces them); every other kind is always delivered.
DROPPABLE = frozenset({"tick", "bar", "pnl", "health", "ping"})


def encode(kind: str, data: dict[str, Any], ts: datetime | None = None) -> str:
    """The wire form ``{kind, ts, data}``: Decimal as a string, times as ISO-8601 UTC."""
    when = (ts or datetime.now(UTC)).isoformat()
    return json.dumps({"kind": kind, "ts": when, "data": to_jsonable_python(data)}, separators=(",", ":"))


class Subscriber:
    """One WebSocket client's queue; :meth:`next` (on the API's loop) waits for its next message."""

    def __init__(self, hub: EventHub) -> None:
        self.hub = hub
        self.critical: deque[tuple[int, str]] = deque()
        self.droppable: deque[tuple[int, str]] = deque()
        self.dropped = 0
        self.overflowed = False
        self.closed = False  # the client went away
        self._wake = asyncio.Event()
        self._lock = threading.Lock()

    def put(self, seq: int, message: str, droppable: bool) -> bool:
        """Queue ``message``; True when the sender may be waiting for it (the queue was empty)."""
        with self._lock:
            was_empty = not self.critical and not self.droppable
            (self.droppable if droppable else self.critical).append((seq, message))
            if len(self.critical) + len(self.droppable) > QUEUE_LIMIT and self.droppable:
                self.droppable.popleft()
                self.dropped += 1
                self.hub.count_drop()
            if len(self.critical) > CRITICAL_LIMIT:
                self.overflowed = True
        return was_empty

    def wake(self) -> None:
        self._wake.set()

    def close(self) -> None:
        """The client disconnected: end a pending :meth:`next` (call on the API's loop)."""
        self.closed = True
        self._wake.set()

    @property
    def queued(self) -> int:
        return len(self.critical) + len(self.droppable)

    def pop(self) -> str | None:
        """The oldest queued message (by publish order), or ``None``."""
        with self._lock:
            c, d = self.critical, self.droppable
            if c and (not d or c[0][0] < d[0][0]):
                return c.popleft()[1]
            if d:
                return d.popleft()[1]
            self._wake.clear()
            return None

    async def next(self, timeout: float) -> str | None:
        """The next message, or ``None`` when none came within ``timeout`` seconds (or the client went away)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            message = self.pop()  # clears the wake-up when the queue is empty, so a late one is not mistaken
            if message is not None or self.closed:
                return message
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            try:
                await asyncio.wait_for(self._wake.wait(), remaining)
            except TimeoutError:
                return None


class EventHub:
    """Implements :class:`theo.api.services.context.EventSink` for the WebSocket stream (module docstring)."""

    def __init__(self, *, ticks_per_second: float = TICKS_PER_SECOND, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self.interval = 1.0 / ticks_per_second
        self.clock = clock
        self.published = 0
        self.dropped = 0
        self.throttled = 0
        self._subscribers: tuple[Subscriber, ...] = ()
        self._lock = threading.Lock()
        self._tick_lock = threading.Lock()
        self._seq = itertools.count()
        self._last_tick: dict[str, float] = {}
        self._pending: dict[str, dict[str, Any] | tuple[Any, Any]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0

    # -- clients ---------------------------------------------------------------------------------------------
    def subscribe(self) -> Subscriber:
        """A new client's queue (call on the API's event loop)."""
        loop = asyncio.get_running_loop()
        sub = Subscriber(self)
        with self._lock:
            self._loop, self._loop_thread = loop, threading.get_ident()
            self._subscribers = (*self._subscribers, sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            self._subscribers = tuple(s for s in self._subscribers if s is not sub)

    @property
    def clients(self) -> int:
        return len(self._subscribers)

    def backlog(self) -> int:
        """Events queued for the clients and not yet handed to their sockets."""
        return sum(s.queued for s in self._subscribers)

    def count_drop(self) -> None:
        self.dropped += 1

    # -- publishing ------------------------------------------------------------------------------------------
    def publish(self, kind: str, data: dict[str, Any]) -> None:
        """Queue ``kind`` with ``data`` for every client; returns at once (a tick may wait for its slot)."""
        if not self._subscribers:
            return
        if kind == "tick":
            self._tick(str(data.get("symbol", "")), data)
        else:
            self._send(kind, data)

    def tick(self, symbol: str, price: Any, size: Any) -> None:
        """Publish a ``tick``; cheaper than :meth:`publish` for the engine's hot path (the event is built only
        when it goes out)."""
        if self._subscribers:
            self._tick(symbol, (price, size))

    def _tick(self, symbol: str, data: dict[str, Any] | tuple[Any, Any]) -> None:
        with self._tick_lock:
            now = self.clock()
            wait = self._last_tick.get(symbol, -1e18) + self.interval - now
            if wait > 0:
                self.throttled += 1
                first = symbol not in self._pending
                self._pending[symbol] = data
            else:
                self._last_tick[symbol] = now
                self._pending.pop(symbol, None)
        if wait <= 0:
            self._send("tick", _tick_data(symbol, data))
            return
        loop = self._loop
        if first and loop is not None:
            loop.call_soon_threadsafe(loop.call_later, wait, self._flush_tick, symbol)

    def _flush_tick(self, symbol: str) -> None:
        with self._tick_lock:
            data = self._pending.pop(symbol, None)
            if data is not None:
                self._last_tick[symbol] = self.clock()
        if data is not None:
            self._send("tick", _tick_data(symbol, data))

    def _send(self, kind: str, data: dict[str, Any]) -> None:
        message = encode(kind, data)
        seq = next(self._seq)
        self.published += 1
        droppable = kind in DROPPABLE
        idle = [sub for sub in self._subscribers if sub.put(seq, message, droppable)]
        if not idle:
            return
        if threading.get_ident() == self._loop_thread:
            _wake(idle)
        elif self._loop is not None:
            self._loop.call_soon_threadsafe(_wake, idle)  # one hop to the API's loop for every idle client


def _wake(subscribers: list[Subscriber]) -> None:
    for sub in subscribers:
        sub.wake()


def _tick_data(symbol: str, data: dict[str, Any] | tuple[Any, Any]) -> dict[str, Any]:
    if isinstance(data, dict):
        return data
    price, size = data
    return {"symbol": symbol, "price": _number(price), "size": _number(size)}


def _number(value: Any) -> Any:
    """A float as the shortest decimal string that reads back the same (money goes out as strings)."""
    return repr(value) if isinstance(value, float) else value


class NoEvents:
    """An event sink that drops everything (command-line tools that call the services)."""

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        return None
