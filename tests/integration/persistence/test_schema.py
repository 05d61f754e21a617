"""The migration chain builds exactly the models, on SQLite and PostgreSQL, and runs down and up again."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from theo.persistence.db import alembic_config, upgrade
from theo.persistence.models import Base

#: PostgreSQL-only objects created on purpose by the migrations and absent from the models: the BRIN index of a
#: plain PostgreSQL store (a TimescaleDB store has none: ``create_hypertable(..., create_default_indexes =>
#: false)`` keeps exactly the models' indexes, ``ix_ticks_ts`` serving as the time index).
DB_ONLY_INDEXES = {"ix_ticks_ts_brin"}


def _include(obj: Any, name: str | None, type_: str, reflected: bool, _compare_to: Any) -> bool:
    return not (type_ == "index" and reflected and name in DB_ONLY_INDEXES)


def _table_of(diff: Any) -> str:
    for part in diff if isinstance(diff, tuple) else diff[0]:
        table = getattr(part, "table", None)
        if table is not None and hasattr(table, "name"):
            return str(table.name)
        if hasattr(part, "name") and hasattr(part, "columns") and hasattr(part, "metadata"):
            return str(part.name)
        if isinstance(part, str) and part in Base.metadata.tables:
            return part
    return "?"


def assert_schema_matches_models(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": _include})
        diffs = compare_metadata(ctx, Base.metadata)
    by_table: dict[str, list[str]] = {}
    for d in diffs:
        by_table.setdefault(_table_of(d), []).append(repr(d)[:300])
    assert not diffs, "migrations differ from the models in tables " + "; ".join(
        f"{t}: {', '.join(ds)}" for t, ds in sorted(by_table.items()))


def _down_and_up(engine: Engine) -> None:
    command.downgrade(alembic_config(engine), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


def test_sqlite_schema_equals_models(sqlite_engine: Engine) -> None:
    assert_schema_matches_models(sqlite_engine)


def test_sqlite_downgrade_to_base_and_upgrade_again(sqlite_engine: Engine) -> None:
    _down_and_up(sqlite_engine)
    assert_schema_matches_models(sqlite_engine)


def _uses_timescaledb(engine: Engine) -> bool:
    from theo.persistence.timescale import probe

    with engine.connect() as conn:
        return probe(conn).hypertable


@pytest.mark.xdist_group("postgres-schema")
def test_postgres_schema_equals_models_and_indexes_tick_time(pg_engine: Engine) -> None:
    """Plain PostgreSQL: a BRIN index on tick time; TimescaleDB: a hypertable with the models' indexes only."""
    assert_schema_matches_models(pg_engine)
    names = {ix["name"] for ix in inspect(pg_engine).get_indexes("ticks")}
    if _uses_timescaledb(pg_engine):
        assert names == {"ix_ticks_ts"}  # pk_ticks is the primary key constraint, not listed here
    else:
        assert "ix_ticks_ts_brin" in names
        assert names == {"ix_ticks_ts", "ix_ticks_ts_brin"}


@pytest.mark.xdist_group("postgres-schema")
def test_postgres_downgrade_to_base_and_upgrade_again(pg_engine: Engine) -> None:
    _down_and_up(pg_engine)
    assert_schema_matches_models(pg_engine)
