"""One client connection of the fake TWS: handshake, frame I/O and per-connection state."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from tests.fakes.tws.wire import FrameReader, HandshakeError, encode_frame

if TYPE_CHECKING:
    from tests.fakes.tws.server import FakeTws


class Session:
    """A connected API client."""

    def __init__(self, server: FakeTws, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        self.client_id: int | None = None
        self.version = 0
        self.md_type = 1
        self.closed = False
        self.ready = False
        self.auto_bind = False
        self.positions_sub = False
        self.account_subs: set[str] = set()
        self.multi_subs: dict[int, str] = {}
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._writer_task: asyncio.Task[None] | None = None
        self._recent: deque[float] = deque()
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # ------------------------------------------------------------------ output
    def send(self, fields: list[Any]) -> None:
        """Queue one frame to the client (dropped while the fake is stalled or the socket is closed)."""
        if self.closed or self.server.stalled:
            return
        self.server.record("out", self.client_id, fields)
        self._queue.put_nowait(encode_frame(fields))
        self.server.count_out_frame()

    def send_raw(self, data: bytes) -> None:
        """Queue raw bytes (the handshake reply)."""
        if not self.closed:
            self._queue.put_nowait(data)

    async def _write_loop(self) -> None:
        while True:
            data = await self._queue.get()
            if data is None:
                return
            if self.server.coalesce:
                await asyncio.sleep(0.005)
                while not self._queue.empty():
                    more = self._queue.get_nowait()
                    if more is None:
                        self.writer.write(data)
                        return
                    data += more
            try:
                if self.server.split_frames:
                    for i in range(len(data)):
                        self.writer.write(data[i : i + 1])
                        await self.writer.drain()
                        await asyncio.sleep(0)
                else:
                    self.writer.write(data)
                    await self.writer.drain()
            except (ConnectionError, OSError):
                self.abort()
                return

    # ------------------------------------------------------------------- input
    async def run(self) -> None:
        """Serve the connection until either side closes it."""
        self._writer_task = asyncio.create_task(self._write_loop())
        parser = FrameReader()
        try:
            while not parser.handshake_done:
                data = await self.reader.read(65536)
                if not data:
                    return
                parser.feed(data)
                hello = parser.handshake()
                if hello is not None and not await self._answer_handshake(*hello):
                    return
            for fields in parser.frames():
                self._on_frame(fields)
            while not self.closed:
                data = await self.reader.read(65536)
                if not data:
                    return
                parser.feed(data)
                for fields in parser.frames():
                    if self.closed:
                        return
                    self._on_frame(fields)
        except (HandshakeError, ConnectionError, OSError):
            return
        finally:
            self.close()

    async def _answer_handshake(self, low: int, high: int, options: str) -> bool:
        self.server.handshakes.append((low, high, options))
        if self.server.silent:
            while await self.reader.read(65536):
                pass
            return False
        if self.server.handshake_delay > 0:
            await asyncio.sleep(self.server.handshake_delay)
        version = min(self.server.server_version, high)
        if version < low and self.server.strict_version:
            return False
        self.version = version
        conn_time = self.server.now().astimezone(self.server.tz).strftime("%Y%m%d %H:%M:%S EST")
        self.send_raw(encode_frame([version, conn_time]))
        self.server.record("out", None, [str(version), conn_time])
        if version < low:
            asyncio.get_running_loop().call_later(0.2, self.abort)
        return True

    def _on_frame(self, fields: list[str]) -> None:
        self.server.record("in", self.client_id, fields)
        if self.server.stalled or not fields:
            return
        limit = self.server.rate_limit
        if limit:
            now = time.monotonic()
            self._recent.append(now)
            while self._recent and now - self._recent[0] > 1.0:
                self._recent.popleft()
            if len(self._recent) > limit:
                text = f"Max rate of messages per second has been exceeded:max={limit} rec={len(self._recent)}"
                self.send([4, 2, -1, 100, text, ""])
                return
        self.server.dispatch(self, fields)

    # ------------------------------------------------------------------ close
    def abort(self) -> None:
        """Close the socket now (no flush)."""
        if self.closed:
            return
        self.closed = True
        self._queue.put_nowait(None)
        transport = self.writer.transport
        with contextlib.suppress(Exception):
            transport.abort()
        self.server.session_closed(self)

    def close(self) -> None:
        """Close after flushing what was queued."""
        if self.closed:
            return
        self.closed = True
        self._queue.put_nowait(None)
        with contextlib.suppress(Exception):
            self.writer.close()
        self.server.session_closed(self)

    async def close_after_flush(self) -> None:
        """Close once the frames already queued are written."""
        self._queue.put_nowait(None)
        if self._writer_task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._writer_task, 2)
        self.close()
