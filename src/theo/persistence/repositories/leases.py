"""The ``engine_locks`` table: the leases behind the single-writer lock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError, OperationalError

from theo.core.errors import SingleWriterLockError
from theo.execution.lock import Lease
from theo.persistence.db import transaction
from theo.persistence.models.orders import EngineLockRow
from theo.persistence.repositories.base import Repository


def _lease(row: EngineLockRow) -> Lease:
    return Lease(row.name, row.owner, row.pid, row.host, row.acquired_at, row.heartbeat)


class LeaseRepository(Repository):
    """Implements :class:`theo.execution.lock.LeaseStore` with a row lock (``SELECT ... FOR UPDATE``)."""

    def claim(self, lease: Lease, may_take_over: Callable[[Lease], bool]) -> Lease | None:
        """Write ``lease`` when free, ours or given up on; else return the holder's lease (nothing changes)."""
        try:
            with transaction(self.engine) as s:
                row = s.get(EngineLockRow, lease.name, with_for_update=True)
                if row is None:
                    s.add(EngineLockRow(name=lease.name, owner=lease.owner, pid=lease.pid, host=lease.host,
                                        acquired_at=lease.acquired_at, heartbeat=lease.heartbeat))
                elif row.owner != lease.owner:
                    if not may_take_over(_lease(row)):
                        return _lease(row)
                    row.owner, row.pid, row.host, row.acquired_at, row.heartbeat = (
                        lease.owner, lease.pid, lease.host, lease.acquired_at, lease.heartbeat)
                else:
                    row.heartbeat = lease.heartbeat
        except (IntegrityError, OperationalError) as exc:
            raise SingleWriterLockError(f"another Theo instance took the lock of {self.location} at the same "
                                        f"moment ({type(exc).__name__})") from None
        return None

    def renew(self, name: str, owner: str, at: datetime) -> bool:
        """Set the heartbeat of ``owner``'s lease; False when ``owner`` no longer holds it."""
        with transaction(self.engine) as s:
            result = s.execute(update(EngineLockRow).where(EngineLockRow.name == name, EngineLockRow.owner == owner)
                               .values(heartbeat=at))
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def release(self, name: str, owner: str) -> None:
        """Drop ``owner``'s lease ``name``."""
        with transaction(self.engine) as s:
            s.execute(delete(EngineLockRow).where(EngineLockRow.name == name, EngineLockRow.owner == owner))
