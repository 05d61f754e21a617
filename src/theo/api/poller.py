"""Events for ``theo api`` (no engine in the process): the trading state, P&L and health as the store shows
them, published when they change (polled every :data:`INTERVAL` seconds in a background thread)."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

from theo.api.services.context import ServiceContext
from theo.api.services.overview import health, marks_of, pnl_event
from theo.api.services.runinfo import latest_run
from theo.api.services.state import state_now
from theo.core.logging import get_logger

log = get_logger(__name__)
INTERVAL = 3.0


class StorePoller:
    """Publishes ``state``, ``pnl`` and ``health`` to ``sink`` when the store's values change."""

    def __init__(self, ctx: ServiceContext, sink: Any, interval: float = INTERVAL) -> None:
        self.ctx = ctx
        self.sink = sink
        self.interval = interval
        self._last: dict[str, Any] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self) -> None:
        """Look once; publish what changed since the last look."""
        from theo.persistence.repositories.trades import SqlTradeStore

        now = state_now(self.ctx)
        self._changed("state", {"state": now.state.value, "reason": now.reason, "actor": now.actor})
        run, counters = latest_run(self.ctx)
        realized = Decimal(str(counters.get("realized_pnl", "0")))
        self._changed("pnl", pnl_event(realized, SqlTradeStore(self.ctx.store).load_trades(open_only=True),
                                       marks_of(counters)))
        self._changed("health", health(run, counters).model_dump(mode="json"))

    def _changed(self, kind: str, data: dict[str, Any]) -> None:
        if self._last.get(kind) != data:
            self._last[kind] = data
            self.sink.publish(kind, data)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception as exc:  # a store hiccup: report it and look again next time
                log.warning("api.poll_failed", error=str(exc).splitlines()[0] if str(exc) else repr(exc))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="theo-api-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
