"""The single-writer lock: a second live instance refuses to trade; a dead or silent holder is replaced."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from theo.core.errors import SingleWriterLockError
from theo.execution.lock import SingleWriterLock
from theo.persistence.repositories.leases import LeaseRepository

from .helpers import make_rig, migrated_sqlite


def test_second_instance_refuses(tmp_path: Path) -> None:
    engine = migrated_sqlite(tmp_path / "theo.db")
    first = SingleWriterLock(LeaseRepository(engine))
    first.acquire()
    with pytest.raises(SingleWriterLockError, match=r"in use by another Theo instance \(pid \d+ on "):
        SingleWriterLock(LeaseRepository(engine)).acquire()
    first.acquire()  # re-entrant for its owner
    first.release()
    SingleWriterLock(LeaseRepository(engine)).acquire()


def test_lock_of_a_dead_process_on_this_host_is_taken_over(tmp_path: Path) -> None:
    engine = migrated_sqlite(tmp_path / "theo.db")
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                           check=True)
    ghost = SingleWriterLock(LeaseRepository(engine))
    ghost.pid = int(child.stdout)  # that process has exited
    ghost.acquire()
    me = SingleWriterLock(LeaseRepository(engine))
    me.acquire()
    assert me.held
    with pytest.raises(SingleWriterLockError, match="taken over"):
        ghost.heartbeat()


def test_stale_heartbeat_is_taken_over_after_the_ttl(tmp_path: Path) -> None:
    engine = migrated_sqlite(tmp_path / "theo.db")
    t = [datetime(2026, 11, 24, 12, tzinfo=UTC)]
    other = SingleWriterLock(LeaseRepository(engine), ttl_seconds=30, now=lambda: t[0])
    other.host = "elsewhere"
    other.acquire()
    me = SingleWriterLock(LeaseRepository(engine), ttl_seconds=30, now=lambda: t[0])
    t[0] += timedelta(seconds=20)
    with pytest.raises(SingleWriterLockError):
        me.acquire()
    other.heartbeat()
    t[0] += timedelta(seconds=31)
    me.acquire()
    assert me.held


def test_service_start_takes_the_lock(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, start_service=False)
    rig.service.lock = SingleWriterLock(LeaseRepository(rig.engine))
    rig.service.start()
    (tmp_path / "b").mkdir()
    second = make_rig(tmp_path / "b", engine=rig.engine, start_service=False)
    second.service.lock = SingleWriterLock(LeaseRepository(rig.engine))
    with pytest.raises(SingleWriterLockError):
        second.service.start()
    rig.service.stop()
    second.service.start()


def test_an_instance_whose_lock_was_taken_over_never_trades_again(tmp_path: Path) -> None:
    from decimal import Decimal

    from .helpers import req

    t = [datetime(2026, 11, 24, 12, tzinfo=UTC)]
    rig = make_rig(tmp_path, start_service=False)
    rig.service.lock = SingleWriterLock(LeaseRepository(rig.engine), ttl_seconds=30, now=lambda: t[0])
    rig.service.lock.host = "host-a"
    rig.service.start()
    first = rig.service.create_order(req("BUY", 10, "LIMIT", limit_price=Decimal("270.00")))
    t[0] += timedelta(seconds=20)
    rig.service.create_order(req("BUY", 10))  # trading renews the lock (20 s > a third of the TTL)
    other = SingleWriterLock(LeaseRepository(rig.engine), ttl_seconds=30, now=lambda: t[0])
    other.host = "host-b"
    t[0] += timedelta(seconds=25)  # 25 s after the renewal: still within the TTL
    with pytest.raises(SingleWriterLockError):
        other.acquire()
    t[0] += timedelta(seconds=10)  # 35 s of silence: the lock may be taken over
    other.acquire()
    orders_before = len(rig.journal.load_orders())
    for action in (lambda: rig.service.create_order(req("BUY", 10)),
                   lambda: rig.service.modify_order(first.client_order_id, limit_price=Decimal("270.10")),
                   lambda: rig.service.cancel_order(first.client_order_id)):
        with pytest.raises(SingleWriterLockError, match=r"taken over|does not hold"):
            action()
    assert len(rig.journal.load_orders()) == orders_before
    assert rig.service.get_order_status(first.client_order_id).request.limit_price == Decimal("270.00")
