"""Which write errors mean "the database is out, spool and retry" and which must stop the collector."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from sqlalchemy import exc as sa_exc

from theo.core.errors import SingleWriterLockError, StorageError, StoreConnectionLost
from theo.persistence.outage import is_outage


def _wrapped(cls: type[sa_exc.DBAPIError], orig: BaseException) -> sa_exc.DBAPIError:
    return cls("INSERT INTO ticks ...", {}, orig)


@pytest.mark.parametrize(("error", "out"), [
    (StoreConnectionLost("lost the connection to the database"), True),
    (StorageError("cannot write or read the SQLite database"), True),
    (psycopg.OperationalError("server closed the connection unexpectedly"), True),
    (ConnectionRefusedError(111, "Connection refused"), True),
    (_wrapped(sa_exc.OperationalError, psycopg.OperationalError("connection refused")), True),
    (_wrapped(sa_exc.OperationalError, sqlite3.OperationalError("database is locked")), True),
    (_wrapped(sa_exc.InterfaceError, psycopg.InterfaceError("the connection is closed")), True),
    (SingleWriterLockError("another instance holds the lock"), False),
    (_wrapped(sa_exc.OperationalError, sqlite3.OperationalError("no such table: ticks")), False),
    (_wrapped(sa_exc.IntegrityError, sqlite3.IntegrityError("UNIQUE constraint failed")), False),
    (_wrapped(sa_exc.ProgrammingError, psycopg.ProgrammingError('relation "ticks" does not exist')), False),
    (ValueError("a bug"), False),
])
def test_only_an_unreachable_store_is_an_outage(error: BaseException, out: bool) -> None:
    assert is_outage(error) is out
