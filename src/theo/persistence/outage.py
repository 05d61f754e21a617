"""Tell a database that is out (retry later) from a write that is wrong (stop and say why).

The collector spools while the store is out (:mod:`theo.data.durable`); it must not spool a write the
database refuses for a reason a retry cannot fix (a missing table, a constraint), or it would hide the error
and fill the disk.
"""

from __future__ import annotations

import psycopg
from sqlalchemy import exc as sa_exc

from theo.core.errors import SingleWriterLockError, StorageError

#: SQLite errors a retry can get past: the file is busy, cannot be written or read right now.
_SQLITE_TRANSIENT = ("database is locked", "database table is locked", "disk i/o error", "database or disk is full",
                     "unable to open database file", "readonly database")


def is_outage(exc: BaseException) -> bool:
    """Whether ``exc`` says the store cannot be reached or written now (a connection lost or refused, a
    server shutting down, a SQLite file that is locked or cannot be written), rather than that the write
    itself is wrong."""
    if isinstance(exc, SingleWriterLockError):
        return False
    if isinstance(exc, StorageError):  # raised by the engine's error hook for a lost store (theo.persistence.db)
        return True
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):  # raw COPY connections
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated or isinstance(exc, sa_exc.InterfaceError):
            return True
        if isinstance(exc, sa_exc.OperationalError):
            if isinstance(exc.orig, psycopg.OperationalError):
                return True
            reason = str(exc.orig).lower()
            return any(r in reason for r in _SQLITE_TRANSIENT)
    return isinstance(exc, ConnectionError)
