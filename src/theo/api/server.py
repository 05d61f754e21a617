"""Serving the app with uvicorn: in a thread beside the engine (``theo run``) or in the foreground (``theo api``).

The socket is bound before anything starts, so a port in use is reported at once, in words, and nothing else
(no engine run) has begun. With ``[api] tls_cert`` and ``tls_key`` uvicorn speaks https itself; behind a
reverse proxy on the same host it trusts ``X-Forwarded-For`` / ``X-Forwarded-Proto`` from 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import errno
import signal
import socket
import threading
import time

import uvicorn
from fastapi import FastAPI

from theo.config.api import ApiConfig
from theo.core.errors import ConfigError
from theo.core.logging import get_logger

log = get_logger(__name__)
START_TIMEOUT = 10.0


def bind(api: ApiConfig) -> socket.socket:
    """A listening socket on ``[api] host:port``; :class:`ConfigError` naming the port when it is taken."""
    family = socket.AF_INET6 if ":" in api.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((api.host, api.port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(f"the dashboard cannot listen on {api.host}:{api.port}: port {api.port} is already in "
                              f"use (another theo run or theo api?); choose another with [api] port or "
                              f"THEO__API__PORT, or turn the dashboard off with [api] enabled = false") from None
        raise ConfigError(f"the dashboard cannot listen on {api.host}:{api.port}: {exc.strerror}; check [api] host "
                          f"and port") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url(api: ApiConfig, port: int | None = None) -> str:
    host = "127.0.0.1" if api.host in ("0.0.0.0", "") else ("[::1]" if api.host == "::" else api.host)
    return f"{'https' if api.tls else 'http'}://{host}:{port or api.port}"


def uvicorn_config(app: FastAPI, api: ApiConfig) -> uvicorn.Config:
    tls = {}
    if api.tls_cert is not None and api.tls_key is not None:
        for key, path in (("tls_cert", api.tls_cert), ("tls_key", api.tls_key)):
            if not path.is_file():
                raise ConfigError(f"[api] {key} = {str(path)!r}: no such file; give the PEM file's path")
        tls = {"ssl_certfile": str(api.tls_cert), "ssl_keyfile": str(api.tls_key)}
    return uvicorn.Config(app, host=api.host, port=api.port, log_config=None, access_log=False,
                          proxy_headers=True, forwarded_allow_ips="127.0.0.1", timeout_graceful_shutdown=2,
                          server_header=False, **tls)  # type: ignore[arg-type]


def _stopped(_signum: int, _frame: object) -> None:
    return None


class ApiServer:
    """The uvicorn server of one app on ``[api] host:port``."""

    def __init__(self, app: FastAPI, api: ApiConfig) -> None:
        self.api = api
        self.server = uvicorn.Server(uvicorn_config(app, api))
        self.sock: socket.socket | None = None
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1]) if self.sock is not None else self.api.port

    @property
    def url(self) -> str:
        return url(self.api, self.port)

    def listen(self) -> str:
        """Bind the socket (once); return the URL it serves (with the real port when ``[api] port`` is 0)."""
        if self.sock is None:
            self.sock = bind(self.api)
        return self.url

    def start(self) -> str:
        """Serve in a background thread with its own event loop (the engine's loop is never shared); return the
        URL once the server accepts connections."""
        self.listen()
        self.thread = threading.Thread(target=self._serve, name="theo-api", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self.server.started and self.thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self.server.started:
            self.stop()
            raise ConfigError(f"the dashboard did not start on {self.url}: {self.error or 'no answer'}")
        log.info("api.started", url=self.url)
        return self.url

    def _serve(self) -> None:
        try:
            asyncio.run(self.server.serve(sockets=[self.sock] if self.sock is not None else None))
        except BaseException as exc:  # SystemExit from uvicorn's start-up included: reported by start()
            self.error = exc
            log.error("api.failed", error=repr(exc))

    def stop(self) -> None:
        """Close the connections and stop serving (waits at most a few seconds)."""
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=5)
        if self.sock is not None:
            self.sock.close()
        log.info("api.stopped")

    def serve_foreground(self) -> None:
        """Serve in this thread until Ctrl-C or SIGTERM (``theo api``)."""
        self.listen()
        assert self.sock is not None
        # uvicorn stops gracefully on the signal, then raises it again for the handler it found: make that one
        # a no-op so Ctrl-C or SIGTERM ends `theo api` with status 0 (an operator's stop is not a failure).
        previous = {sig: signal.signal(sig, _stopped) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.server.run(sockets=[self.sock])
        finally:
            self.sock.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
