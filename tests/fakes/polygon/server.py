"""The fake Polygon / Massive server: the stocks WebSocket on the test's loop, REST on a thread (§2).

Session script (§2.2): on upgrade send ``[{"ev":"status","status":"connected",...}]``; on
``{"action":"auth","params":KEY}`` answer ``auth_success`` or ``auth_failed`` and close; on
``subscribe``/``unsubscribe`` ack each topic (``subscribed to: T.AAPL``). :meth:`FakePolygon.push` sends event
arrays to every session subscribed to the event's channel (``T.AAPL`` or ``T.*``).

Faults (§2.6): :meth:`drop` (close with a code, or an abrupt TCP reset), :meth:`close_normally` (1000),
:meth:`refuse` (HTTP 503 on upgrade for a while), ``greeting = False`` (never greet), ``silent = True`` (take
pushes but send nothing), :meth:`send_raw` (malformed frames, unknown events), :meth:`max_connections`.
Everything received and sent is in :attr:`transcript`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from tests.fakes.polygon.rest import RestSide, RestState


@dataclass
class Frame:
    at: float
    session: int
    direction: str  # "in" (client -> fake) or "out"
    payload: Any


@dataclass
class Session:
    number: int
    conn: ServerConnection
    authed: bool = False
    topics: set[str] = field(default_factory=set)


class FakePolygon:
    """A loopback Polygon: ``async with FakePolygon(keys={"k"}) as fake:``; ``fake.ws_url``, ``fake.rest_url``."""

    def __init__(self, keys: set[str] | None = None) -> None:
        self.keys = set(keys or {"test-key"})
        self.greeting = True
        self.silent = False
        self.sessions: list[Session] = []
        self.connects = 0
        self.transcript: list[Frame] = []
        self.rest = RestState(self.keys)
        self._rest = RestSide(self.rest)
        self._server: Server | None = None
        self._refuse_until = 0.0
        self.port = 0

    # -- lifecycle -----------------------------------------------------------------------------------------
    async def __aenter__(self) -> FakePolygon:
        self._server = await serve(self._session, "127.0.0.1", 0, process_request=self._upgrade)
        self.port = self._server.sockets[0].getsockname()[1] if self._server.sockets else 0
        self._rest.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
        self._rest.stop()

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def rest_url(self) -> str:
        return self._rest.url

    # -- the protocol --------------------------------------------------------------------------------------
    def _upgrade(self, conn: ServerConnection, request: Request) -> Response | None:
        if time.monotonic() < self._refuse_until:
            return Response(503, "Service Unavailable", Headers(), b"refusing\n")
        if request.path != "/stocks":
            return Response(404, "Not Found", Headers(), b"only /stocks\n")
        return None

    async def _session(self, conn: ServerConnection) -> None:
        self.connects += 1
        s = Session(self.connects, conn)
        self.sessions.append(s)
        try:
            if self.greeting:
                await self._send(s, [{"ev": "status", "status": "connected", "message": "Connected Successfully"}])
            async for raw in conn:
                msg = json.loads(raw)
                self.transcript.append(Frame(time.monotonic(), s.number, "in", msg))
                await self._on_message(s, msg)
        except Exception:  # the client went away mid-frame: the session just ends
            pass
        finally:
            self.sessions.remove(s)

    async def _on_message(self, s: Session, msg: dict[str, Any]) -> None:
        action, params = msg.get("action"), str(msg.get("params", ""))
        if action == "auth":
            if params in self.keys:
                s.authed = True
                await self._send(s, [{"ev": "status", "status": "auth_success", "message": "authenticated"}])
            else:
                await self._send(s, [{"ev": "status", "status": "auth_failed", "message": "authentication failed"}])
                await s.conn.close(1008, "authentication failed")
            return
        if not s.authed:
            await self._send(s, [{"ev": "status", "status": "error", "message": "not authorized"}])
            return
        topics = [t.strip() for t in params.split(",") if t.strip()]
        if action == "subscribe":
            s.topics.update(topics)
            await self._send(s, [{"ev": "status", "status": "success", "message": f"subscribed to: {t}"}
                                 for t in topics])
        elif action == "unsubscribe":
            s.topics.difference_update(topics)
            await self._send(s, [{"ev": "status", "status": "success", "message": f"unsubscribed to: {t}"}
                                 for t in topics])

    async def _send(self, s: Session, payload: list[dict[str, Any]] | str) -> None:
        self.transcript.append(Frame(time.monotonic(), s.number, "out", payload))
        await s.conn.send(payload if isinstance(payload, str) else json.dumps(payload))

    # -- hooks ---------------------------------------------------------------------------------------------
    @property
    def subscriptions(self) -> set[str]:
        """Topics of every live authenticated session."""
        return {t for s in self.sessions if s.authed for t in s.topics}

    async def push(self, events: list[dict[str, Any]]) -> int:
        """Send ``events`` as one array to each session subscribed to them; returns how many sessions got some."""
        if self.silent:
            return 0
        sent = 0
        for s in list(self.sessions):
            mine = [e for e in events
                    if s.authed and (f"{e['ev']}.{e['sym']}" in s.topics or f"{e['ev']}.*" in s.topics)]
            if mine:
                await self._send(s, mine)
                sent += 1
        return sent

    async def send_raw(self, text: str) -> None:
        """A raw text frame to every session (malformed JSON, unknown ``ev`` ...)."""
        for s in list(self.sessions):
            await self._send(s, text)

    async def drop(self, code: int | None = 1011, reason: str = "server restart") -> None:
        """End every session: a close frame with ``code``, or (``None``) a TCP reset without one."""
        for s in list(self.sessions):
            if code is None:
                s.conn.transport.abort()
            else:
                await s.conn.close(code, reason)

    async def close_normally(self) -> None:
        """Close with 1000: the client's ``connect()`` returns without reconnecting (§2.4)."""
        await self.drop(1000, "bye")

    async def max_connections(self) -> None:
        for s in list(self.sessions):
            await self._send(s, [{"ev": "status", "status": "max_connections",
                                  "message": "Maximum number of websocket connections exceeded."}])
            await s.conn.close(1008, "max connections")

    def refuse(self, seconds: float) -> None:
        """Answer upgrades with HTTP 503 for ``seconds`` (the client retries with websockets' back-off)."""
        self._refuse_until = time.monotonic() + seconds

    async def until(self, predicate: Any, timeout: float = 5.0, what: str = "the condition") -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"fake polygon: timed out waiting for {what}")
            await asyncio.sleep(0.01)

    def received(self, action: str) -> list[dict[str, Any]]:
        """Client messages with ``action`` (``auth``, ``subscribe``, ``unsubscribe``)."""
        return [f.payload for f in self.transcript if f.direction == "in" and f.payload.get("action") == action]

