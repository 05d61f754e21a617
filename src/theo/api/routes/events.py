"""Route: the live event stream over a WebSocket (``/api/v1/events``)."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from theo.api.auth.current import authenticate, credentials
from theo.api.auth.sessions import resolve
from theo.api.events import EventHub, Subscriber, encode
from theo.api.services.context import ServiceContext
from theo.api.services.errors import ServiceError

router = APIRouter(tags=["events"])
PING_SECONDS = 15.0
#: Close codes: the session is missing or ended (4401); the client fell too far behind (4408).
UNAUTHORIZED, TOO_SLOW = 4401, 4408


def _same_origin(ws: WebSocket, ctx: ServiceContext) -> bool:
    """A browser's cookie may only open the stream from the dashboard's own origin (or an allowed one)."""
    origin = ws.headers.get("origin")
    if not origin:
        return True
    return urlsplit(origin).netloc == ws.headers.get("host", "") or origin in ctx.config.api.cors_origins


@router.websocket("/events")
async def events(ws: WebSocket) -> None:
    """``{kind, ts, data}`` messages (see docs/dashboard-api.md); ``{kind: "ping"}`` every 15 s.

    Authenticated by the session cookie, ``Authorization: Bearer`` or ``?token=``."""
    ctx: ServiceContext = ws.app.state.ctx
    creds = credentials(ws, query_token=True)
    try:
        await run_in_threadpool(authenticate, ctx, ws, "GET", query_token=True)
    except ServiceError:
        await ws.close(code=UNAUTHORIZED)
        return
    if creds is not None and creds.cookie and not _same_origin(ws, ctx):
        await ws.close(code=UNAUTHORIZED)
        return
    hub = ctx.events
    if not isinstance(hub, EventHub):
        await ws.close(code=1011, reason="no event stream in this process")
        return
    await ws.accept()
    sub = hub.subscribe()
    watcher = asyncio.ensure_future(_watch_close(ws, sub))
    try:
        while not sub.closed:
            message = await sub.next(PING_SECONDS)
            if sub.closed:
                return
            if sub.overflowed:
                await ws.close(code=TOO_SLOW, reason="too far behind; reconnect")
                return
            if message is None:
                try:
                    await run_in_threadpool(resolve, ctx, creds.token if creds else "")
                except ServiceError:
                    await ws.close(code=UNAUTHORIZED, reason="session ended")
                    return
                message = encode("ping", {})
            await ws.send_text(message)
    except (WebSocketDisconnect, RuntimeError):
        return
    finally:
        watcher.cancel()
        hub.unsubscribe(sub)


async def _watch_close(ws: WebSocket, sub: Subscriber) -> None:
    """Read (and ignore) what the client sends until it disconnects; then end the sender's wait at once."""
    try:
        while (await ws.receive())["type"] != "websocket.disconnect":
            pass
    except (WebSocketDisconnect, RuntimeError):
        pass
    sub.close()
