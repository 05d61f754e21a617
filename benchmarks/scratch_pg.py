"""Throwaway PostgreSQL databases for the benchmarks, on the server the PostgreSQL tests use
(``THEO_TEST_PG_URL``, default the local server); every database made is dropped at the end."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text

PG_URL = os.environ.get("THEO_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


class ScratchDatabases:
    """Creates databases on the server at :data:`PG_URL`; :attr:`unreachable` says why not when it cannot."""

    def __init__(self) -> None:
        self.error: Exception | None = None
        self._admin: Engine | None = None
        self._names: list[str] = []
        try:
            admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://"),
                                  isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            self.error = exc
            return
        self._admin = admin

    @property
    def unreachable(self) -> str:
        """``""`` when the server answers, else "PostgreSQL at ... unreachable (<error type>)"."""
        return "" if self.error is None else f"PostgreSQL at {PG_URL} unreachable ({type(self.error).__name__})"

    def _run(self, *statements: str) -> None:
        assert self._admin is not None, self.unreachable
        with self._admin.connect() as conn:
            for sql in statements:
                conn.execute(text(sql))

    def create(self) -> str:
        """A new empty database; its URL."""
        name = f"theo_bench_{uuid.uuid4().hex[:10]}"
        self._run(f'CREATE DATABASE "{name}"')
        self._names.append(name)
        return f"{PG_URL.rsplit('/', 1)[0]}/{name}"

    def recreate(self, url: str) -> None:
        """Empty the database at ``url`` (made by :meth:`create`): drop it and create it again."""
        name = url.rsplit("/", 1)[1]
        self._run(f'DROP DATABASE "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')

    def close(self) -> None:
        """Drop every database made here (connections still open are ended)."""
        if self._admin is None:
            return
        self._run(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in self._names))
        self._names.clear()
        self._admin.dispose()


@contextmanager
def scratch_databases() -> Iterator[ScratchDatabases]:
    """:class:`ScratchDatabases`, closed (every database dropped) on the way out."""
    dbs = ScratchDatabases()
    try:
        yield dbs
    finally:
        dbs.close()
