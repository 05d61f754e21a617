"""A fake Telegram Bot API server (``../shared/docs/protocol-fakes.md`` §3) on 127.0.0.1, port 0.

Speaks ``/bot<token>/<method>`` over HTTP with form, JSON or query parameters and answers like Telegram:
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": ..., "description": ..., "parameters": ...}``.

Injection hooks (thread-safe, callable from the test's thread): :meth:`FakeBotApi.fail_next` (429 with
``retry_after``, 5xx, HTML 502, dropped connection, delay), :meth:`block` (403 "bot was blocked by the user"),
:meth:`migrate`, :attr:`limits` (token buckets per chat, per group, global), :meth:`go_down` /
:meth:`come_back` (connection refused while down). Every request is recorded with its arrival time.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.telegram.http import HttpRequest, HttpResponse, json_response, serve_connection

BOT = {"id": 123456, "is_bot": True, "first_name": "Alerts", "username": "alerts_test_bot",
       "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}


@dataclass
class Recorded:
    """One request as the fake received it; ``at`` is ``time.monotonic()``, ``wall`` ``time.time()``."""

    method: str
    params: dict[str, Any]
    at: float
    wall: float
    token: str

    @property
    def chat_id(self) -> int | None:
        v = self.params.get("chat_id")
        return None if v is None else int(v)

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))


@dataclass
class Failure:
    """What the next matching call gets instead of its answer."""

    status: int = 429  # 200: answer normally after ``delay``
    retry_after: int = 1
    description: str = ""
    drop: bool = False  # close the connection without answering
    html: bool = False  # a non-JSON body
    delay: float = 0.0
    method: str = "sendMessage"
    containing: str = ""  # only a call whose text contains this marker


@dataclass
class Limits:
    """Telegram's flood limits (Bot FAQ): per chat 1/s with bursts, per group 20/min, 30/s overall."""

    chat_rate: float = 1.0
    chat_burst: int = 3
    group_per_minute: int = 20
    global_rate: float = 30.0


@dataclass
class _Bucket:
    rate: float
    capacity: float
    tokens: float
    stamp: float = field(default_factory=time.monotonic)

    def take(self, now: float) -> float:
        """0 when a token was taken, else the seconds until one frees."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> HttpResponse:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return json_response(status, body)


class FakeBotApi:
    """The fake; ``start()`` runs it on a daemon thread and returns ``base_url`` for PTB."""

    def __init__(self, tokens: tuple[str, ...] = ("123456:TEST-token_abc",)) -> None:
        self.tokens = set(tokens)
        self.requests: list[Recorded] = []
        self.limits: Limits | None = None
        self.port = 0
        self._failures: list[Failure] = []
        self._blocked: set[int] = set()
        self._migrated: dict[int, int] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(100)
        self._buckets: dict[Any, _Bucket] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._new_update: asyncio.Condition | None = None
        self._conns: set[asyncio.StreamWriter] = set()
        self.offsets: list[int] = []  # the offset of every getUpdates call (tests check acknowledgement)

    # -- lifecycle ---------------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def start(self) -> str:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="fake-telegram", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fake Bot API did not start")
        return self.base_url

    def _run(self, ready: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(self._listen())
        ready.set()
        self._loop.run_forever()

    async def _listen(self) -> None:
        self._new_update = self._new_update or asyncio.Condition()
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._conns.add(writer)
        try:
            await serve_connection(reader, writer, self._handle)
        except asyncio.CancelledError:  # the fake is stopping: end the connection quietly
            writer.close()
        finally:
            self._conns.discard(writer)

    def _call(self, coro: Any) -> Any:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    def go_down(self) -> None:
        """Stop listening and cut open connections: clients get connection errors until :meth:`come_back`."""
        async def down() -> None:
            if self._server is not None:
                self._server.close()
                for w in list(self._conns):
                    w.close()
                await self._server.wait_closed()
                self._server = None
        self._call(down())

    def come_back(self) -> None:
        self._call(self._listen())

    def stop(self) -> None:
        if self._loop is None:
            return
        self.go_down()

        async def cancel() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        self._call(cancel())
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(5)

    # -- injection ----------------------------------------------------------------------------------------------
    def fail_next(self, n: int = 1, **failure: Any) -> None:
        """The next ``n`` calls of ``failure['method']`` (default sendMessage) fail as described."""
        with self._lock:
            self._failures.extend(Failure(**failure) for _ in range(n))

    def block(self, chat_id: int) -> None:
        with self._lock:
            self._blocked.add(chat_id)

    def migrate(self, chat_id: int, new_chat_id: int) -> None:
        with self._lock:
            self._migrated[chat_id] = new_chat_id

    def push_message(self, chat_id: int, text: str, *, user_id: int | None = None, chat_type: str = "") -> int:
        """Queue an incoming message (an update for getUpdates); returns its update id."""
        kind = chat_type or ("private" if chat_id > 0 else "supergroup")
        msg = {"message_id": next(self._message_ids), "date": int(time.time()), "text": text,
               "chat": {"id": chat_id, "type": kind, **({"first_name": "Ops"} if kind == "private" else
                                                         {"title": "Desk"})},
               "from": {"id": user_id or abs(chat_id), "is_bot": False, "first_name": "Ops"}}
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self._push({"message": msg})

    def push_callback(self, chat_id: int, data: str, *, message_id: int, user_id: int | None = None) -> int:
        """Queue a button press on the bot's message ``message_id``."""
        return self._push({"callback_query": {
            "id": str(next(self._update_ids) * 7919), "chat_instance": "1", "data": data,
            "from": {"id": user_id or abs(chat_id), "is_bot": False, "first_name": "Ops"},
            "message": {"message_id": message_id, "date": int(time.time()), "text": "confirm?",
                        "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                        "from": BOT}}})

    def _push(self, update: dict[str, Any]) -> int:
        uid = next(self._update_ids)
        update["update_id"] = uid

        async def add() -> None:
            assert self._new_update is not None
            async with self._new_update:
                self._updates.append(update)
                self._new_update.notify_all()
        self._call(add())
        return uid

    # -- reading what arrived -----------------------------------------------------------------------------------
    def calls(self, method: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.method.lower() == method.lower()]

    def messages(self, chat_id: int | None = None) -> list[Recorded]:
        return [r for r in self.calls("sendMessage") if chat_id is None or r.chat_id == chat_id]

    def wait_for(self, predicate: Any, timeout: float = 5.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if predicate():
                return True
            time.sleep(0.01)
        return bool(predicate())

    # -- the API ------------------------------------------------------------------------------------------------
    async def _handle(self, req: HttpRequest) -> HttpResponse:
        parts = req.path.strip("/").split("/")
        if len(parts) != 2 or not parts[0].startswith("bot"):
            return _error(404, "Not Found")
        token, method = parts[0][3:], parts[1]
        if token not in self.tokens:
            return _error(401, "Unauthorized")
        now = time.monotonic()
        with self._lock:
            self.requests.append(Recorded(method, dict(req.params), now, time.time(), token))
            text = str(req.params.get("text", ""))
            failure = next((f for f in self._failures if f.method.lower() == method.lower()
                            and f.containing in text), None)
            if failure is not None:
                self._failures.remove(failure)
        if failure is not None:
            if failure.delay:
                await asyncio.sleep(failure.delay)
            if failure.drop:
                return HttpResponse(0, b"", drop=True)
            if failure.html:
                return HttpResponse(failure.status, b"<html><body>502 Bad Gateway</body></html>", "text/html")
            if failure.status == 200:  # only the delay: then answer as usual
                pass
            elif failure.status == 429:
                return _error(429, f"Too Many Requests: retry after {failure.retry_after}",
                              {"retry_after": failure.retry_after})
            elif failure.status:
                return _error(failure.status, failure.description or "Internal Server Error")
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        result: HttpResponse = await handler(req.params, now)
        return result

    def _chat_gate(self, chat_id: int, now: float) -> HttpResponse | None:
        if chat_id in self._blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        if chat_id in self._migrated:
            return _error(400, "Bad Request: group chat was upgraded to a supergroup chat",
                          {"migrate_to_chat_id": self._migrated[chat_id]})
        lim = self.limits
        if lim is None:
            return None
        buckets = [("global", lim.global_rate, lim.global_rate), (chat_id, lim.chat_rate, lim.chat_burst)]
        if chat_id < 0:
            buckets.append((("group", chat_id), lim.group_per_minute / 60, lim.group_per_minute))
        wait = 0.0
        for key, rate, cap in buckets:
            b = self._buckets.setdefault(key, _Bucket(rate, cap, cap))
            wait = max(wait, b.take(now))
        if wait > 0:
            retry = max(1, math.ceil(wait))
            return _error(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        return None

    def _message(self, chat_id: int, text: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
        return {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat, "from": BOT,
                "text": text, **(extra or {})}

    async def _m_getme(self, _p: dict[str, Any], _now: float) -> HttpResponse:
        return json_response(200, {"ok": True, "result": BOT})

    async def _m_sendmessage(self, p: dict[str, Any], now: float) -> HttpResponse:
        try:
            chat_id = int(p["chat_id"])
        except (KeyError, ValueError):
            return _error(400, "Bad Request: chat_id is empty")
        text = str(p.get("text", ""))
        if not text:
            return _error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return _error(400, "Bad Request: message is too long")
        with self._lock:
            gate = self._chat_gate(chat_id, now)
        if gate is not None:
            return gate
        extra = {"reply_markup": p["reply_markup"]} if isinstance(p.get("reply_markup"), dict) else None
        return json_response(200, {"ok": True, "result": self._message(chat_id, text, extra)})

    async def _m_editmessagetext(self, p: dict[str, Any], _now: float) -> HttpResponse:
        msg = self._message(int(p["chat_id"]), str(p.get("text", "")))
        msg["message_id"] = int(p.get("message_id", msg["message_id"]))
        return json_response(200, {"ok": True, "result": msg})

    async def _m_getupdates(self, p: dict[str, Any], _now: float) -> HttpResponse:
        offset = int(p.get("offset", 0) or 0)
        timeout = float(p.get("timeout", 0) or 0)
        limit = int(p.get("limit", 100) or 100)
        self.offsets.append(offset)
        assert self._new_update is not None
        async with self._new_update:
            if offset:  # confirming: everything below the offset is gone for good (Bot API semantics)
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and timeout > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._new_update.wait(), timeout)
            out = [u for u in self._updates if u["update_id"] >= offset][:limit]
        return json_response(200, {"ok": True, "result": out})

    async def _ok_true(self, _p: dict[str, Any], _now: float) -> HttpResponse:
        return json_response(200, {"ok": True, "result": True})

    _m_answercallbackquery = _ok_true
    _m_deletewebhook = _ok_true
    _m_setmycommands = _ok_true
    _m_deletemessage = _ok_true
    _m_sendchataction = _ok_true
    _m_close = _ok_true
    _m_logout = _ok_true

    async def _m_getmycommands(self, _p: dict[str, Any], _now: float) -> HttpResponse:
        return json_response(200, {"ok": True, "result": []})
