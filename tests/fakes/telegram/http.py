"""A minimal HTTP/1.1 server on asyncio streams (keep-alive, Content-Length or chunked bodies).

Written on raw streams rather than a framework so the fake can misbehave the way a network does: drop the
connection mid-request, stall past the client's timeout, answer an HTML 502.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           409: "Conflict", 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway"}


@dataclass
class HttpRequest:
    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class HttpResponse:
    status: int
    body: bytes
    content_type: str = "application/json"
    drop: bool = False  # close the connection without answering


def json_response(status: int, payload: Any) -> HttpResponse:
    return HttpResponse(status, json.dumps(payload).encode())


def _decode(value: str) -> Any:
    """Form values: PTB sends strings as-is and everything else JSON-encoded (numbers stay text here: the
    server converts the fields that are numbers, so a message text "1.50" keeps its digits)."""
    v = value.strip()
    if v[:1] in ("{", "[") or v in ("true", "false", "null"):
        try:
            return json.loads(v)
        except ValueError:
            return value
    return value


def _value(key: str, value: str) -> Any:
    return value if key in ("text", "caption", "callback_data") else _decode(value)


def parse_params(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    """Query string, ``application/x-www-form-urlencoded`` or ``application/json`` parameters, merged."""
    params: dict[str, Any] = {k: _value(k, v) for k, v in parse_qsl(query, keep_blank_values=True)}
    ctype = content_type.split(";", 1)[0].strip().lower()
    if body and ctype == "application/json":
        data = json.loads(body.decode())
        if isinstance(data, dict):
            params.update(data)
    elif body and ctype == "application/x-www-form-urlencoded":
        params.update({k: _value(k, v) for k, v in parse_qsl(body.decode(), keep_blank_values=True)})
    elif body and ctype.startswith("multipart/"):
        raise ValueError("multipart bodies (file uploads) are not supported by the fake")
    return params


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readline()).strip() or b"0", 16)
            if size == 0:
                await reader.readline()
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readline()
    n = int(headers.get("content-length", "0") or 0)
    return await reader.readexactly(n) if n else b""


Handler = Callable[[HttpRequest], Awaitable[HttpResponse]]


async def serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, handler: Handler) -> None:
    """Answer requests on one connection until the client closes it (or a handler drops it)."""
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            method, target, _version = line.decode("latin-1").split(" ", 2)
            headers: dict[str, str] = {}
            while (h := await reader.readline()) not in (b"\r\n", b"\n", b""):
                k, _, v = h.decode("latin-1").partition(":")
                headers[k.strip().lower()] = v.strip()
            body = await _read_body(reader, headers)
            url = urlsplit(target)
            try:
                params = parse_params(url.query, headers.get("content-type", ""), body)
            except ValueError as exc:
                resp = json_response(400, {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"})
            else:
                resp = await handler(HttpRequest(method.upper(), url.path, params, headers))
            if resp.drop:
                return
            head = (f"HTTP/1.1 {resp.status} {REASONS.get(resp.status, 'Status')}\r\n"
                    f"Content-Type: {resp.content_type}\r\nContent-Length: {len(resp.body)}\r\n"
                    f"Connection: keep-alive\r\n\r\n")
            writer.write(head.encode() + resp.body)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, ValueError):
        return
    finally:
        writer.close()
