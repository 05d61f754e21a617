"""Statements built once and run on the DBAPI cursor of a held SQLite connection: the journal's hot path.

SQLAlchemy's per-statement machinery (execution context, compiled-cache lookup, result set-up) costs more
than SQLite's own insert. These run the same SQL with SQLAlchemy's own bind processors (so the stored values
are exactly what a Core statement stores) inside the connection's transaction, which SQLAlchemy still commits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Dialect, Engine, Table
from sqlalchemy.exc import DBAPIError


class HeldConnection:
    """One connection kept open for the writes of the thread that made the first one.

    The order journal and the trade store are on the hot path of every order: a held connection saves the
    pool check-out and check-in (tens of µs) of each write. SQLAlchemy connections are not thread-safe, so
    a write from another thread takes a pooled connection of its own.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None
        self._thread: int | None = None

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction, committed when the block ends (rolled back when it raises)."""
        ident = threading.get_ident()
        if self._thread is None:
            self._thread = ident
        if ident != self._thread:
            with self.engine.begin() as pooled:
                yield pooled
            return
        conn = self._conn
        if conn is None or conn.closed:
            conn = self._conn = self.engine.connect()
        with conn.begin():
            yield conn

    def close(self) -> None:
        """Give the connection back (a new one is opened by the next write)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class _Statement:
    """SQL run on the DBAPI cursor of a held connection; DBAPI errors come back as SQLAlchemy's."""

    sql: str

    def __init__(self, dialect: Dialect) -> None:
        self._dbapi_error: type[Exception] = dialect.loaded_dbapi.Error

    @contextmanager
    def _cursor(self, conn: Connection, params: Any) -> Iterator[Any]:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            yield cursor
        except self._dbapi_error as exc:
            raise DBAPIError.instance(self.sql, params, exc, self._dbapi_error) from exc
        finally:
            cursor.close()


class PreparedInsert(_Statement):
    """``INSERT INTO table (every column but an autoincrement key)`` for one SQLite dialect."""

    def __init__(self, table: Table, dialect: Dialect) -> None:
        super().__init__(dialect)
        quote = dialect.identifier_preparer.quote
        self.columns = [c.name for c in table.columns if not (c.primary_key and c.autoincrement is True)]
        self._keys = frozenset(self.columns)
        self.processors: list[Callable[[Any], Any] | None] = [
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in self.columns]
        self.sql = (f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "
                    f"({', '.join(quote(n) for n in self.columns)}) VALUES ({', '.join('?' * len(self.columns))})")

    def covers(self, row: dict[str, Any]) -> bool:
        """True when ``row`` names exactly the columns written (else a Core insert applies the defaults)."""
        return row.keys() == self._keys

    def params(self, row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(v if p is None else p(v)
                     for v, p in zip([row[c] for c in self.columns], self.processors, strict=True))

    def run(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
        """Insert ``rows`` in the transaction open on ``conn``; return the key of the last row inserted."""
        params = [self.params(r) for r in rows]
        with self._cursor(conn, params) as cursor:
            if len(params) == 1:
                cursor.execute(self.sql, params[0])
            else:
                cursor.executemany(self.sql, params)
            return int(cursor.lastrowid or 0)


class PreparedUpdate(_Statement):
    """``UPDATE table SET col = ?, ... [, stamp = COALESCE(stamp, ?)] WHERE key = ?`` for one SQLite dialect.

    ``stamps`` are set once: the first non-null value written to them stays (``entered_at``, ``cancelled_at``).
    """

    def __init__(self, table: Table, dialect: Dialect, columns: Sequence[str], key: str,
                 stamps: Sequence[str] = ()) -> None:
        super().__init__(dialect)
        quote = dialect.identifier_preparer.quote
        self.columns = [*columns, *stamps, key]
        self.processors: list[Callable[[Any], Any] | None] = [
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in self.columns]
        sets = [f"{quote(c)} = ?" for c in columns] + [f"{quote(s)} = COALESCE({quote(s)}, ?)" for s in stamps]
        self.sql = (f"UPDATE {dialect.identifier_preparer.format_table(table)} SET {', '.join(sets)} "
                    f"WHERE {quote(key)} = ?")

    def run(self, conn: Connection, values: Sequence[Any]) -> int:
        """Update one row with ``values`` (in column order, stamps then the key last); return the rows changed."""
        params = tuple(v if p is None or v is None else p(v)
                       for v, p in zip(values, self.processors, strict=True))
        with self._cursor(conn, params) as cursor:
            cursor.execute(self.sql, params)
            return int(cursor.rowcount)


class PreparedQuery(_Statement):
    """``SELECT columns FROM table WHERE a = ? AND b = ?`` for one SQLite dialect (equality on plain values)."""

    def __init__(self, table: Table, dialect: Dialect, columns: Sequence[str], where: Sequence[str]) -> None:
        super().__init__(dialect)
        quote = dialect.identifier_preparer.quote
        self.sql = (f"SELECT {', '.join(quote(c) for c in columns)} FROM "
                    f"{dialect.identifier_preparer.format_table(table)} WHERE "
                    f"{' AND '.join(f'{quote(c)} = ?' for c in where)}")

    def first(self, conn: Connection, values: Sequence[Any]) -> tuple[Any, ...] | None:
        params = tuple(values)
        with self._cursor(conn, params) as cursor:
            cursor.execute(self.sql, params)
            row = cursor.fetchone()
            return None if row is None else tuple(row)
