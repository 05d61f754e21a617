"""Alembic environment: runs with the engine handed over in ``config.attributes['engine']``.

Every migration step is atomic. PostgreSQL has transactional DDL: the whole upgrade runs in one
transaction. SQLite has it too, but Python's sqlite3 module opens a transaction only before INSERT, UPDATE
and DELETE, so a ``CREATE TABLE`` would commit on its own and a kill in the middle of a step would leave
tables without a revision. On SQLite the connection is therefore switched to explicit transactions (SQLAlchemy's
documented recipe: the driver's ``isolation_level = None`` and a ``BEGIN`` on each transaction) and each step
commits together with its revision.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic import context
from sqlalchemy import Connection, Engine, event

from theo.persistence.models import Base

config = context.config
target_metadata = Base.metadata


def _begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN")


@contextmanager
def _explicit_transactions(connection: Connection) -> Iterator[None]:
    """Let SQLAlchemy, not the sqlite3 module, decide where SQLite transactions begin and end."""
    dbapi: Any = connection.connection.driver_connection
    previous = dbapi.isolation_level
    dbapi.isolation_level = None
    event.listen(connection, "begin", _begin)
    try:
        yield
    finally:
        event.remove(connection, "begin", _begin)
        dbapi.isolation_level = previous


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        compare_type=True,
        transactional_ddl=True,
        transaction_per_migration=sqlite,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine: Engine | None = config.attributes.get("engine")
    if engine is None:
        raise RuntimeError("run migrations through theo.persistence.db.upgrade (theo db upgrade)")
    with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            _run(connection)
            connection.commit()
            return
        with _explicit_transactions(connection):
            _run(connection)


run_migrations_online()
