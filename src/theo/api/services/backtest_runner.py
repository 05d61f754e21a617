"""Runs dashboard backtests in spawned processes, at most :data:`MAX_RUNNING` at a time, and follows them: each
progress report is written to the ``backtest_runs`` row and published as a ``backtest`` event."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from theo.api.services.context import EventSink
from theo.api.services.errors import Conflict
from theo.config import TheoConfig
from theo.config.loader import redact
from theo.core.logging import get_logger
from theo.persistence.repositories import Store
from theo.persistence.repositories.backtests import BacktestRunRepository

log = get_logger("theo.api.backtests")
#: Backtests running at once in one API process; one more is refused (409) until one ends.
MAX_RUNNING = 2
ABANDONED = "the API process stopped while this backtest ran; start it again"


class BacktestRunner:
    """The backtest processes of one API process (kept in ``ServiceContext.extras``)."""

    def __init__(self, store: Store, events: EventSink, max_running: int = MAX_RUNNING) -> None:
        self.store = store
        self.repo = BacktestRunRepository(store)
        self.events = events
        self.max_running = max_running
        self._lock = threading.Lock()
        self._running: dict[int, BaseProcess] = {}
        self.repo.abandon_active(datetime.now(UTC), ABANDONED, keep=set())

    def running(self) -> list[int]:
        with self._lock:
            return sorted(self._running)

    def start(self, created_by: str, name: str, params: dict[str, Any], config: TheoConfig) -> int:
        """Queue a run row and start its process; :class:`Conflict` when ``max_running`` already run."""
        from theo.api.services.backtest_worker import run_job

        with self._lock:
            if len(self._running) >= self.max_running:
                raise Conflict(f"{len(self._running)} backtests are running (at most {self.max_running} at a "
                               f"time: runs {', '.join(map(str, sorted(self._running)))}); wait for one to finish")
            run_id = self.repo.create(datetime.now(UTC), created_by, name, params)
            out_dir = Path(config.app.data_dir) / "backtests" / str(run_id)
            self.repo.update(run_id, out_dir=str(out_dir), status="running")
            ctx = multiprocessing.get_context("spawn")
            receive, send = ctx.Pipe(duplex=False)
            # The store's URL (with its password) goes through the spawn pipe, never into the row or a log.
            db_url = self.store.url.render_as_string(hide_password=False)
            proc = ctx.Process(target=run_job, args=(config, params, str(out_dir), db_url, send), daemon=True,
                               name=f"theo-backtest-{run_id}")
            proc.start()
            send.close()  # the child holds the sending end; the pipe ends when the child does
            self._running[run_id] = proc
        self._publish(run_id, "running", 0.0)
        threading.Thread(target=self._follow, args=(run_id, proc, receive), daemon=True,
                         name=f"theo-backtest-follow-{run_id}").start()
        return run_id

    def _publish(self, run_id: int, status: str, progress: float) -> None:
        self.events.publish("backtest", {"id": run_id, "status": status, "progress": progress})

    def _follow(self, run_id: int, proc: BaseProcess, conn: Connection) -> None:
        outcome: tuple[str, Any] | None = None
        try:
            while True:
                try:
                    kind, value = conn.recv()
                except EOFError:  # the process ended (a crash ends it without a word)
                    break
                if kind == "progress":
                    self.repo.update(run_id, progress=float(value))
                    self._publish(run_id, "running", float(value))
                else:
                    outcome = (kind, value)
            proc.join()
            self._finish(run_id, proc, outcome)
        except Exception as exc:  # the row must never stay "running" for a run nobody follows
            log.error("backtest.follow_failed", run=run_id, error=str(exc))
            self.repo.update(run_id, status="failed", error=redact(f"following the backtest failed: {exc}"),
                             finished_at=datetime.now(UTC))
        finally:
            conn.close()
            with self._lock:
                self._running.pop(run_id, None)

    def _finish(self, run_id: int, proc: BaseProcess, outcome: tuple[str, Any] | None) -> None:
        now = datetime.now(UTC)
        if outcome is not None and outcome[0] == "done":
            done = outcome[1]
            run = self.repo.get(run_id)
            params = {**(run.params if run else {}), "notes": done["notes"], "symbols": done["symbols"]}
            self.repo.update(run_id, status="completed", progress=1.0, metrics=done["metrics"], params=params,
                             finished_at=now)
            self._publish(run_id, "completed", 1.0)
            log.info("backtest.completed", run=run_id)
            return
        error = outcome[1] if outcome is not None else f"the backtest process ended with exit code {proc.exitcode}"
        self.repo.update(run_id, status="failed", error=redact(str(error)), finished_at=now)
        run = self.repo.get(run_id)
        self._publish(run_id, "failed", run.progress if run else 0.0)
        log.warning("backtest.failed", run=run_id, error=redact(str(error)).splitlines()[0] if error else "")

    def wait(self, run_id: int, timeout: float) -> bool:
        """Wait for run ``run_id``'s process to end (tests, shutdown); True when it is no longer running."""
        with self._lock:
            proc = self._running.get(run_id)
        if proc is not None:
            proc.join(timeout)
        deadline = datetime.now(UTC).timestamp() + timeout
        while datetime.now(UTC).timestamp() < deadline:
            with self._lock:
                if run_id not in self._running:
                    return True
            threading.Event().wait(0.02)
        return False


def runner_of(store: Store, events: EventSink, extras: dict[str, Any]) -> BacktestRunner:
    """The process's runner, made on first use."""
    runner = extras.get("backtests")
    if not isinstance(runner, BacktestRunner):
        runner = extras["backtests"] = BacktestRunner(store, events)
    return runner
