"""Thread-safety of the fake's public API: calls from other threads run on the fake's loop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def threadsafe(fn: Callable[P, R]) -> Callable[P, R]:
    """Run the method on the fake's loop when called from another thread, and wait for its result."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        self = args[0]
        loop: asyncio.AbstractEventLoop | None = self._loop_ref  # type: ignore[attr-defined]
        if loop is None or self._loop_thread == threading.get_ident() or not loop.is_running():  # type: ignore[attr-defined]
            return fn(*args, **kwargs)
        future: concurrent.futures.Future[R] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:
                future.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return future.result(timeout=10)

    return wrapper
