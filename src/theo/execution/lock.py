"""The single-writer lock: a second instance pointed at the same store refuses to trade.

The lock is a lease kept in the store with the owner's pid, host and a heartbeat. It can be taken over when
its heartbeat is older than the TTL, or at once when its owner ran on this host and is no longer alive
(a crashed engine restarting).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from theo.core.errors import SingleWriterLockError


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


@dataclass(frozen=True, slots=True)
class Lease:
    """Who holds the lock ``name``, since when, and when they last proved to be alive."""

    name: str
    owner: str
    pid: int
    host: str
    acquired_at: datetime
    heartbeat: datetime


@runtime_checkable
class LeaseStore(Protocol):
    """Named leases shared by every process on one store."""

    @property
    def location(self) -> str:
        """Where the leases live, safe to print (a URL without its password)."""
        ...

    def claim(self, lease: Lease, may_take_over: Callable[[Lease], bool]) -> Lease | None:
        """In one transaction: write ``lease`` when its name is free, held by its owner (a renewal) or held by
        someone ``may_take_over`` gives up on; else change nothing and return the holder's lease.

        Raise :class:`SingleWriterLockError` when another process claimed the name at the same moment.
        """
        ...

    def renew(self, name: str, owner: str, at: datetime) -> bool:
        """Set the heartbeat of ``owner``'s lease ``name``; False when ``owner`` no longer holds it."""
        ...

    def release(self, name: str, owner: str) -> None:
        """Drop ``owner``'s lease ``name`` (nothing when someone else holds it)."""
        ...


class SingleWriterLock:
    """Hold the named lock of a store while trading; call :meth:`heartbeat` more often than the TTL."""

    def __init__(self, store: LeaseStore, name: str = "engine", *, ttl_seconds: float = 30.0,
                 now: Callable[[], datetime] = _utcnow) -> None:
        self.store = store
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
        now = self.now()

        def may_take_over(held: Lease) -> bool:
            dead = held.host == self.host and not pid_alive(held.pid)
            return now - held.heartbeat > self.ttl or dead

        holder = self.store.claim(Lease(self.name, self.owner, self.pid, self.host, now, now), may_take_over)
        if holder is not None:
            age = now - holder.heartbeat
            raise SingleWriterLockError(
                f"the store {self.store.location} is in use by another Theo instance (pid {holder.pid} on "
                f"{holder.host}, last heartbeat {age.total_seconds():.0f} s ago); stop it first, or wait "
                f"{self.ttl.total_seconds():.0f} s after it died")
        self._last_beat = now
        self.held = True

    def heartbeat(self) -> None:
        """Prove we are alive; raise :class:`SingleWriterLockError` when the lock was taken from us."""
        if not self.store.renew(self.name, self.owner, self.now()):
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
        self.store.release(self.name, self.owner)
        self.held = False
