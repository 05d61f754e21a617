"""The single-writer lock: a second live instance refuses to trade; a dead or silent holder is replaced."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from theo.errors import SingleWriterLockError
from theo.execution.lock import SingleWriterLock

from .helpers import make_rig, migrated_sqlite


def test_second_instance_refuses(tmp_path: Path) -> None:
    engine = migrated_sqlite(tmp_path / "theo.db")
    first = SingleWriterLock(engine)
    first.acquire()
    with pytest.raises(SingleWriterLockError, match=r"in use by another Theo instance \(pid \d+ on "):
        SingleWriterLock(engine).acquire()
    first.acquire()  # re-entrant for its owner
    first.release()
    SingleWriterLock(engine).acquire()


def test_lock_of_a_dead_process_on_this_host_is_taken_over(tmp_path: Path) -> None:
    engine = migrated_sqlite(tmp_path / "theo.db")
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                           check=True)
    ghost = SingleWriterLock(engine)
    ghost.pid = int(child.stdout)  # that process has exited
    ghost.acquire()
    me = SingleWriterLock(engine)
    me.acquire()
    assert me.held
    with pytest.raises(SingleWriterLockError, match="taken over"):
        ghost.heartbeat()


def test_stale_heartbeat_is_taken_over_after_the_ttl(tmp_path: Path) -> None:
    engine = migrated_sqlite(tmp_path / "theo.db")
    t = [datetime(2026, 11, 24, 12, tzinfo=UTC)]
    other = SingleWriterLock(engine, ttl_seconds=30, now=lambda: t[0])
    other.host = "elsewhere"
    other.acquire()
    me = SingleWriterLock(engine, ttl_seconds=30, now=lambda: t[0])
    t[0] += timedelta(seconds=20)
    with pytest.raises(SingleWriterLockError):
        me.acquire()
    other.heartbeat()
    t[0] += timedelta(seconds=31)
    me.acquire()
    assert me.held


def test_service_start_takes_the_lock(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, start_service=False)
    rig.service.lock = SingleWriterLock(rig.engine)
    rig.service.start()
    (tmp_path / "b").mkdir()
    second = make_rig(tmp_path / "b", engine=rig.engine, start_service=False)
    second.service.lock = SingleWriterLock(rig.engine)
    with pytest.raises(SingleWriterLockError):
        second.service.start()
    rig.service.stop()
    second.service.start()
