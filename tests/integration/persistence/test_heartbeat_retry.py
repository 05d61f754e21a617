"""A run's heartbeat (an idempotent upsert) survives a PostgreSQL connection lost in the middle of it."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text

from theo.core.errors import StoreConnectionLost
from theo.node import runs
from theo.node.runs import RunStore
from theo.persistence.db import make_engine, upgrade
from theo.persistence.repositories.runs import SqlRunStore

pytestmark = pytest.mark.postgres


def _flush_blocked_then_cut(url: str, store: RunStore, cuts: int) -> tuple[list[BaseException], int]:
    """Hold the run row locked, let ``store.flush`` wait on it, terminate its backend ``cuts`` times."""
    database = url.rsplit("/", 1)[1]
    locker = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    admin = create_engine(url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    errors: list[BaseException] = []
    cut = 0
    with locker.connect() as hold, admin.connect() as watch:
        hold.execute(text("SELECT id FROM engine_runs WHERE id = :id FOR UPDATE"), {"id": store.run_id})

        def flush() -> None:
            try:
                store.flush(datetime.now(UTC), {"beat": 2}, {"where": "after the cut"})
            except BaseException as exc:
                errors.append(exc)

        worker = threading.Thread(target=flush)
        worker.start()
        deadline = time.monotonic() + 20
        while cut < cuts and time.monotonic() < deadline and worker.is_alive():
            waiting = watch.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = :db AND wait_event_type = 'Lock'"),
                {"db": database}).scalars().all()
            for pid in waiting:  # the heartbeat's UPDATE, waiting for the row: its connection is in use
                watch.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                cut += 1
            time.sleep(0.05)
        hold.rollback()
        worker.join(20)
    locker.dispose()
    admin.dispose()
    return errors, cut


def test_a_heartbeat_cut_mid_write_is_written_on_a_new_connection(fresh_pg_url: str) -> None:
    db = make_engine(fresh_pg_url)
    upgrade(db)
    store = RunStore(SqlRunStore(db))
    store.start("paper", "synthetic", "d", datetime.now(UTC), stale_after=15)
    store.flush(datetime.now(UTC), {"beat": 1}, {"where": "before"})
    errors, cut = _flush_blocked_then_cut(fresh_pg_url, store, cuts=2)
    assert cut == 2  # the write really was cut while in use, twice
    assert errors == []
    with db.connect() as conn:
        counters, state = conn.execute(text("SELECT counters, state FROM engine_runs WHERE id = :id"),
                                       {"id": store.run_id}).one()
    assert '"beat": 2' in counters
    assert '"after the cut"' in state
    db.dispose()


def test_a_store_that_stays_unreachable_raises_after_the_retries(fresh_pg_url: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runs, "RETRY_SECONDS", (0.05,))
    db = make_engine(fresh_pg_url)
    upgrade(db)
    store = RunStore(SqlRunStore(db))
    store.start("paper", "synthetic", "d", datetime.now(UTC), stale_after=15)
    errors, cut = _flush_blocked_then_cut(fresh_pg_url, store, cuts=2)
    assert cut == 2
    [error] = errors
    assert isinstance(error, StoreConnectionLost)
    assert "lost the connection to the database" in str(error)
    db.dispose()
