"""One session of the ``massive`` WebSocket client, with the timers and error mapping the client lacks.

The client (``massive.websocket.WebSocketClient.connect``) opens the socket, waits for the ``connected``
greeting, sends the key, and reconciles subscriptions about once a second. What it does not do, and
:class:`PolygonSocket` adds:

* **a connect deadline**: the client retries a refused connection forever and waits forever for a greeting
  that never comes; :meth:`PolygonSocket.open` gives up after ``connect_timeout_seconds`` with a
  :class:`PolygonError`, and :meth:`Feed.serve` tries again with back-off;
* **every end of the session is an error**: the client returns quietly when the server closes with 1000/1001,
  and reconnects by itself on other codes. Here its own reconnects are off (``max_reconnects=0``), so every
  drop surfaces as a :class:`PolygonError` and the feed's ``serve`` reconnects, re-subscribes, and counts it;
* **status frames and bad frames are visible**: the client runs in raw mode, this module parses each frame
  (with the client's own ``parse``), logs ``max_connections`` / ``error`` statuses with what to do, and counts
  (and logs) a malformed frame or an unknown event type instead of dying on it.

The API key goes to the client and nowhere else: no log line or error message here contains it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from massive.exceptions import AuthError
from massive.websocket import WebSocketClient
from massive.websocket.models import Market, WebSocketMessage, parse
from websockets.exceptions import ConnectionClosedError

from theo.adapters.polygon.config import PolygonConfig
from theo.adapters.polygon.errors import STATUS_HINTS, PolygonAuthError, PolygonError, redact
from theo.core.logging import get_logger

log = get_logger("theo.polygon")
_client_log = logging.getLogger("theo.polygon.client")
KNOWN_EVENTS = frozenset({"T", "Q", "A", "AM", "status"})
OK_STATUSES = frozenset({"connected", "auth_success", "success"})

Deliver = Callable[[list[WebSocketMessage]], None]


@dataclass
class SocketStats:
    """What one feed has seen beyond its events (kept across sessions)."""

    frames: int = 0
    bad_frames: int = 0
    unknown_events: int = 0
    statuses: dict[str, int] = field(default_factory=dict)


class PolygonSocket:
    """One connection (see the module docstring); make a new one for each attempt."""

    def __init__(self, config: PolygonConfig, key: str, topics: Iterable[str], deliver: Deliver,
                 stats: SocketStats, key_env: str = "") -> None:
        self.config = config
        self.url = f"{'wss' if config.ws_secure else 'ws'}://{config.ws_host}/{config.market}"
        self._key = key
        self._key_env = key_env or config.api_key_env
        self._deliver = deliver
        self.stats = stats
        self._market = Market(config.market)
        self.client = WebSocketClient(api_key=key, feed=config.ws_host, market=config.market, raw=True,
                                      subscriptions=sorted(topics), max_reconnects=0, secure=config.ws_secure)
        self._task: asyncio.Task[None] | None = None

    # -- lifecycle -----------------------------------------------------------------------------------------
    async def open(self) -> None:
        """Connect, authenticate and send the subscriptions, or raise within ``connect_timeout_seconds``."""
        self._task = asyncio.ensure_future(self.client.connect(self._on_frame))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.connect_timeout_seconds
        while not self._ready():
            if self._task.done():
                self._raise_end(self._task)
            if loop.time() >= deadline:
                await self.close()
                raise PolygonError(f"no session with {self.url} within {self.config.connect_timeout_seconds:g} s "
                                   f"(refused, or no 'connected' greeting / auth reply)")
            await asyncio.sleep(0.02)

    def _ready(self) -> bool:
        # The client clears schedule_resub once it has authenticated and sent the first subscriptions.
        return self.client.websocket is not None and not self.client.schedule_resub

    async def wait(self, stop: asyncio.Event) -> None:
        """Until ``stop`` (then close and return) or the session ends (then raise why)."""
        assert self._task is not None, "open() first"
        stopper = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({self._task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
        if stop.is_set():
            await self.close()
            return
        self._raise_end(self._task)

    async def close(self) -> None:
        """Close the socket (normal closure) and end the client's task. Idempotent."""
        task = self._task
        if self.client.websocket is not None:
            with contextlib.suppress(Exception):  # the socket may already be gone; closing is best effort
                await asyncio.wait_for(self.client.close(), 2.0)
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task

    def _raise_end(self, task: asyncio.Task[None]) -> None:
        """Turn the end of the client's task into the adapter's error."""
        exc = task.exception() if not task.cancelled() else None
        if isinstance(exc, AuthError):
            raise PolygonAuthError(f"Polygon / Massive refused the API key from ${self._key_env} at {self.url}: "
                                   f"{redact(str(exc), self._key)}; {STATUS_HINTS['auth_failed']}") from None
        if isinstance(exc, ConnectionClosedError):
            rcvd = exc.rcvd
            why = f"close code {rcvd.code} {rcvd.reason!r}" if rcvd is not None else "connection lost (no close frame)"
            raise PolygonError(f"the connection to {self.url} dropped: {why}") from None
        if isinstance(exc, OSError):
            raise PolygonError(f"the connection to {self.url} failed: {exc}") from None
        if exc is not None:
            raise exc  # not a network failure: a bug in the handler, for example
        raise PolygonError(f"{self.url} closed the session (normal closure); reconnecting")

    # -- subscriptions -------------------------------------------------------------------------------------
    def subscribe(self, topics: Iterable[str]) -> None:
        """Add topics; the client sends them within about a second."""
        self.client.subscribe(*topics)

    def unsubscribe(self, topics: Iterable[str]) -> None:
        self.client.unsubscribe(*topics)

    # -- frames --------------------------------------------------------------------------------------------
    async def _on_frame(self, raw: str | bytes) -> None:
        self.stats.frames += 1
        try:
            items = json.loads(raw)
            if isinstance(items, dict):
                items = [items]
            if not isinstance(items, list) or not all(isinstance(m, dict) and "ev" in m for m in items):
                raise ValueError("not a JSON array of events")
        except ValueError as exc:
            self.stats.bad_frames += 1
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
            log.warning("polygon.bad_frame", error=str(exc), frame=redact(text[:200], self._key))
            return
        events: list[dict[str, Any]] = []
        for m in items:
            ev = m["ev"]
            if ev == "status":
                self._on_status(m)
            elif ev in KNOWN_EVENTS:
                events.append(m)
            else:
                self.stats.unknown_events += 1
                log.warning("polygon.unknown_event", ev=str(ev)[:20])
        if events:
            parsed = parse(events, _client_log, self._market)
            if parsed:
                self._deliver(parsed)

    def _on_status(self, m: dict[str, Any]) -> None:
        status = str(m.get("status", ""))
        self.stats.statuses[status] = self.stats.statuses.get(status, 0) + 1
        message = redact(str(m.get("message", "")), self._key)
        if status in OK_STATUSES:
            log.debug("polygon.status", status=status, message=message)
        else:
            log.warning("polygon.status", status=status, message=message, hint=STATUS_HINTS.get(status, ""))
