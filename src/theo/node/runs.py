"""The record of ``theo run``: its ``engine_runs`` row (status, heartbeat, checkpoint) and its signal outcomes.

Orders, fills and trades are in the order journal and the trade store (the paper account); this keeps what
only the run knows: which signals it saw and what it did with them, and where a restart resumes.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from theo.core.errors import StorageError, StoreConnectionLost
from theo.core.logging import get_logger
from theo.execution.lock import pid_alive
from theo.model.enums import RunStatus
from theo.model.signals import SignalOutcome

log = get_logger(__name__)
#: Waits (seconds) before each retry of a run's heartbeat after a lost database connection.
RETRY_SECONDS = (0.25, 0.5, 1.0, 2.0)


class RunRepository(Protocol):
    """Where runs are kept (``persistence.repositories.runs.SqlRunStore``)."""

    def latest(self, run_id: int | None = None) -> dict[str, Any] | None: ...
    def checkpointed(self) -> dict[str, Any] | None: ...
    def open(self, mode: str, feed: str, digest: str, now: datetime, *, crashed: int | None) -> int: ...
    def write(self, run_id: int, rows: list[dict[str, Any]], now: datetime, counters: dict[str, Any],
              state: dict[str, Any], status: str, stopped: datetime | None) -> None: ...


def signal_row(lineage: int, outcome: SignalOutcome) -> dict[str, Any]:
    """The journal row of a signal outcome: keyed by lineage and signal, so a replay rewrites the same row."""
    s = outcome.signal
    key = f"{lineage}:{s.strategy}:{s.symbol}:{s.side.value}:{int(s.exit)}:{s.ts.isoformat()}"
    payload = {"ts": s.ts.isoformat(), "strategy": s.strategy, "symbol": s.symbol, "side": s.side.value,
               "exit": s.exit, "price": s.price, "reason": s.reason, "status": outcome.status.value,
               "note": outcome.note}
    return {"kind": "signal", "key": key, "ts": s.ts, "payload": json.dumps(payload, sort_keys=True)}


class RunStore:
    """Writes one run's row and its signal journal; buffered, flushed at each checkpoint."""

    def __init__(self, repo: RunRepository) -> None:
        self.repo = repo
        self.run_id = 0
        self.lineage = 0
        self._buffer: dict[str, dict[str, Any]] = {}

    def start(self, mode: str, feed: str, digest: str, now: datetime, stale_after: float) -> dict[str, Any]:
        """Open a run row; return the checkpoint to resume from ({} for a fresh start)."""
        last = self.repo.latest()
        if last is not None and last["status"] == RunStatus.RUNNING and pid_alive(last["pid"]) and \
                last["pid"] != os.getpid() and now - last["heartbeat"] < timedelta(seconds=stale_after):
            raise StorageError(f"another theo run (pid {last['pid']}, run {last['id']}) is running on this database; "
                               "stop it first (Ctrl-C or kill -TERM) or use another data_dir")
        # Resume from the newest checkpoint, not merely the newest run: a run killed before its first
        # checkpoint left an empty state, and the run before it knows where the account got to.
        saved = self.repo.checkpointed()
        state: dict[str, Any] = {}
        if saved is not None and saved["config_digest"] == digest and saved["feed"] == feed and \
                saved["mode"] == mode:
            state = saved["state"]
        crashed = last["id"] if last is not None and last["status"] == RunStatus.RUNNING else None
        self.run_id = self.repo.open(mode, feed, digest, now, crashed=crashed)
        self.lineage = int(state.get("lineage", self.run_id))
        return state

    def on_signal(self, outcome: SignalOutcome) -> None:
        row = signal_row(self.lineage, outcome)
        self._buffer[row["key"]] = row

    def flush(self, now: datetime, counters: dict[str, Any], state: dict[str, Any],
              status: RunStatus = RunStatus.RUNNING, stopped: datetime | None = None) -> None:
        """Write buffered journal rows and the checkpoint in one transaction.

        The write is an upsert of the same rows and the run row, so a connection lost during it is retried
        with back-off on a new connection (``RETRY_SECONDS``); a store still unreachable after that raises.
        """
        rows = list(self._buffer.values())
        for wait in (*RETRY_SECONDS, None):
            try:
                self.repo.write(self.run_id, rows, now, counters, {**state, "lineage": self.lineage}, status.value,
                                stopped)
                break
            except StoreConnectionLost as exc:
                if wait is None:
                    raise
                log.warning("run.store_retry", run=self.run_id, retry_in_s=wait, error=str(exc).splitlines()[0])
                time.sleep(wait)
        self._buffer.clear()


def wall_now() -> datetime:
    return datetime.now(UTC)
