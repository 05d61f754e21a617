"""Running the fake in a daemon thread with its own event loop (for sync tests and subprocess clients)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from tests.fakes.tws.server import FakeTws


@contextlib.contextmanager
def running_fake(**kwargs: Any) -> Iterator[FakeTws]:
    """Start a :class:`FakeTws` (kwargs go to its constructor) in a daemon thread; stop it on exit."""
    fake = FakeTws(**kwargs)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    failure: list[BaseException] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(fake.start())
        except BaseException as exc:
            failure.append(exc)
            started.set()
            return
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, name="fake-tws", daemon=True)
    thread.start()
    started.wait(10)
    if failure:
        raise failure[0]
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
