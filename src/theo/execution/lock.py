"""The single-writer lock: a second instance pointed at the same store refuses to trade.

The lock is a row of ``engine_locks`` with the owner's pid, host and a heartbeat. It can be taken over when
its heartbeat is older than the TTL, or at once when its owner ran on this host and is no longer alive
(a crashed engine restarting).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError, OperationalError

from theo.core.errors import SingleWriterLockError
from theo.persistence.db import mask_url, transaction
from theo.persistence.models.orders import EngineLockRow


def _utcnow() -> datetime:
    return datetime.now(UTC)


def pid_alive(pid: int) -> bool:
    """True when a process with this id exists on this host (one owned by another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class SingleWriterLock:
    """Hold the named lock of a store while trading; call :meth:`heartbeat` more often than the TTL."""

    def __init__(self, engine: Engine, name: str = "engine", *, ttl_seconds: float = 30.0,
                 now: Callable[[], datetime] = _utcnow) -> None:
        self.engine = engine
        self.name = name
        self.ttl = timedelta(seconds=ttl_seconds)
        self.now = now
        self.pid = os.getpid()
        self.host = socket.gethostname()
        self.owner = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:8]}"
        self.held = False
        self._last_beat: datetime | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`SingleWriterLockError` naming the live holder."""
        try:
            with transaction(self.engine) as s:
                row = s.get(EngineLockRow, self.name, with_for_update=True)
                now = self.now()
                if row is None:
                    s.add(EngineLockRow(name=self.name, owner=self.owner, pid=self.pid, host=self.host,
                                        acquired_at=now, heartbeat=now))
                elif row.owner != self.owner:
                    age = now - row.heartbeat
                    dead = row.host == self.host and not pid_alive(row.pid)
                    if age <= self.ttl and not dead:
                        raise SingleWriterLockError(
                            f"the store {mask_url(str(self.engine.url))} is in use by another Theo instance "
                            f"(pid {row.pid} on {row.host}, last heartbeat {age.total_seconds():.0f} s ago); stop "
                            f"it first, or wait {self.ttl.total_seconds():.0f} s after it died")
                    row.owner, row.pid, row.host, row.acquired_at, row.heartbeat = (
                        self.owner, self.pid, self.host, now, now)
                else:
                    row.heartbeat = now
                self._last_beat = now
        except (IntegrityError, OperationalError) as exc:
            raise SingleWriterLockError(f"another Theo instance took the lock of "
                                        f"{mask_url(str(self.engine.url))} at the same moment ({type(exc).__name__})"
                                        ) from None
        self.held = True

    def heartbeat(self) -> None:
        """Prove we are alive; raise :class:`SingleWriterLockError` when the lock was taken from us."""
        with transaction(self.engine) as s:
            result = s.execute(update(EngineLockRow).where(EngineLockRow.name == self.name,
                                                           EngineLockRow.owner == self.owner)
                               .values(heartbeat=self.now()))
            if result.rowcount != 1:  # type: ignore[attr-defined]
                self.held = False
                raise SingleWriterLockError(f"the single-writer lock {self.name!r} was taken over by another "
                                            f"instance; this one must stop trading")
        self._last_beat = self.now()

    def ensure(self) -> None:
        """Raise unless this instance still holds the lock; renew it when a third of the TTL has passed.

        Called before every order action, so an instance whose lock was taken over never trades again, and
        one that trades keeps its lock even without a separate heartbeat timer.
        """
        if not self.held:
            raise SingleWriterLockError(f"this instance does not hold the single-writer lock {self.name!r}; "
                                        f"it must not trade")
        if self._last_beat is None or self.now() - self._last_beat >= self.ttl / 3:
            self.heartbeat()

    def release(self) -> None:
        """Give the lock back (only if we still hold it)."""
        from sqlalchemy import delete

        with transaction(self.engine) as s:
            s.execute(delete(EngineLockRow).where(EngineLockRow.name == self.name,
                                                  EngineLockRow.owner == self.owner))
        self.held = False
