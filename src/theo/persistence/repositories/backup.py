"""What backup and restore read from a store: row counts of the key tables, the engine lease, SQLite copies."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, func, inspect, select, table, text

from theo.execution.lock import Lease
from theo.persistence.db import transaction
from theo.persistence.models.orders import EngineLockRow
from theo.persistence.repositories.base import Repository

#: The tables whose row counts a backup manifest records and a restore verifies.
KEY_TABLES = ("orders", "fills", "trades", "trading_state", "settings", "ticks", "bars")


def sqlite_copy(source: Path, target: Path, *, pages: int = 1024) -> None:
    """Copy the SQLite database ``source`` into ``target`` with the online backup API.

    The copy is a consistent snapshot even while another connection writes ``source`` (WAL): SQLite restarts
    the copy when a writer changes pages it already copied, and the last step runs under a read lock.
    """
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst, pages=pages)
        finally:
            dst.close()
    finally:
        src.close()


class BackupRepository(Repository):
    """Row counts and the single-writer lease of one store, read for ``theo db backup`` / ``restore``."""

    def tables(self) -> set[str]:
        """The names of the tables the store has (none for an empty store)."""
        return set(inspect(self.engine).get_table_names())

    def row_counts(self, names: tuple[str, ...] = KEY_TABLES) -> dict[str, int]:
        """``{table: rows}`` for each of ``names`` the store has (missing tables are left out)."""
        with self.engine.connect() as conn:
            return self._count(conn, names)

    def _count(self, conn: Connection, names: tuple[str, ...]) -> dict[str, int]:
        present = self.tables()
        return {name: int(conn.scalar(select(func.count()).select_from(table(name))) or 0)
                for name in names if name in present}

    @contextmanager
    def pg_snapshot(self, names: tuple[str, ...] = KEY_TABLES) -> Iterator[tuple[str, dict[str, int]]]:
        """PostgreSQL: an exported snapshot id and the row counts seen in it, valid while the block runs.

        ``pg_dump --snapshot=<id>`` inside the block dumps exactly the rows counted, however much others write.
        """
        with self.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                snapshot = str(conn.scalar(text("SELECT pg_export_snapshot()")))
                yield snapshot, self._count(conn, names)

    def engine_lease(self, name: str = "engine") -> Lease | None:
        """The lease ``name`` of the single-writer lock, or None when nobody holds it (or the table is absent)."""
        if EngineLockRow.__tablename__ not in self.tables():
            return None
        with transaction(self.engine) as s:
            row = s.get(EngineLockRow, name)
            if row is None:
                return None
            return Lease(row.name, row.owner, row.pid, row.host, row.acquired_at, row.heartbeat)
