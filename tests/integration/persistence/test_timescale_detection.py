"""TimescaleDB detection on the real PostgreSQL server: the probe's queries, ``theo db upgrade``'s decision and
``theo db timescale status|enable`` messages.

This server has no TimescaleDB. The "installed but not preloaded" case is reproduced end to end by shadowing the
two catalog views the probe reads (``pg_available_extensions``, ``pg_settings``) with views in ``public`` and a
connection whose ``search_path`` puts ``public`` before ``pg_catalog``: every other statement of the upgrade runs
for real, so the test proves that the command finishes with plain tables and a warning instead of a traceback.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, text
from typer.testing import CliRunner

from tests.conftest import _pg_admin, pg_database
from theo.cli.main import app
from theo.persistence.db import make_engine
from theo.persistence.timescale import decide, probe

pytestmark = pytest.mark.postgres
SHADOW = "?options=-csearch_path%3Dpublic%2Cpg_catalog"


@pytest.fixture
def fresh_db() -> Iterator[str]:
    with pg_database("theo_tsdb") as url:
        yield url


def _run(tmp_path: Path, url: str, *args: str, **env: str) -> tuple[int, str, str]:
    cfg = tmp_path / "theo.toml"
    cfg.write_text(f'[app]\ndata_dir = "{tmp_path}"\n[database]\nurl = "{url}"\n', encoding="utf-8")
    clean = {k: "" for k in os.environ if k.startswith("THEO")}
    result = CliRunner().invoke(app, [*args, "--config", str(cfg)], env={**clean, "THEO_CONFIG": "", **env})
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def _shadow_catalog(url: str, preload: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(text("CREATE VIEW public.pg_available_extensions AS SELECT 'timescaledb'::name AS name, "
                          "'2.28.1'::text AS default_version, NULL::text AS installed_version, ''::text AS comment"))
        conn.execute(text("CREATE VIEW public.pg_settings AS SELECT 'shared_preload_libraries'::text AS name, "
                          f"'{preload}'::text AS setting"))
    engine.dispose()


def _ticks_indexes(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {ix["name"] for ix in inspect(engine).get_indexes("ticks")}
    finally:
        engine.dispose()


def test_probe_reads_this_plain_server_and_upgrade_says_what_it_decided(fresh_db: str, tmp_path: Path) -> None:
    engine: Engine = make_engine(fresh_db)
    with engine.connect() as conn:
        found = probe(conn)
        preload = conn.execute(text("SELECT current_setting('shared_preload_libraries')")).scalar_one()
        listed = conn.execute(text("SELECT default_version FROM pg_catalog.pg_available_extensions "
                                   "WHERE name = 'timescaledb'")).scalar()
    engine.dispose()
    assert found.preload == preload
    assert found.available == listed
    if listed is not None:
        pytest.skip("this server has TimescaleDB: the plain-server expectations below do not apply")
    assert (found.installed, found.hypertable, found.aggregates) == (None, False, ())
    assert decide(found).use is False
    code, out, err = _run(tmp_path, fresh_db, "db", "upgrade")
    assert code == 0, err
    assert "timescaledb: not available on the server: plain tables with a BRIN index" in out
    assert "warning" not in err
    assert "ix_ticks_ts_brin" in _ticks_indexes(fresh_db)
    code, out, _ = _run(tmp_path, fresh_db, "db", "timescale", "status")
    assert code == 0
    assert "available on the server: no" in out
    assert "ticks is a hypertable: no" in out
    code, _, err = _run(tmp_path, fresh_db, "db", "timescale", "enable")
    assert code == 2
    assert "the server has no timescaledb extension (pg_available_extensions does not list it)" in err


def test_a_role_that_may_not_read_the_preload_setting_gets_unknown_not_an_error(fresh_db: str) -> None:
    admin = _pg_admin()
    assert admin is not None
    role = f"theo_probe_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    try:
        url = fresh_db.replace("://postgres@", f"://{role}@")
        engine = make_engine(url)
        with engine.connect() as conn, conn.begin():
            found = probe(conn)
            still_usable = conn.execute(text("SELECT 1")).scalar_one()  # the transaction was not aborted
        engine.dispose()
        assert found.preload is None
        assert found.preloaded is None
        assert still_usable == 1
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def test_installed_but_not_preloaded_upgrades_to_plain_tables_with_a_warning(fresh_db: str, tmp_path: Path) -> None:
    _shadow_catalog(fresh_db, "pg_stat_statements")
    url = fresh_db + SHADOW
    code, out, err = _run(tmp_path, url, "db", "upgrade")
    assert code == 0, err
    assert "timescaledb: not usable: plain tables with a BRIN index" in out
    assert ("warning: TimescaleDB not used: the timescaledb extension 2.28.1 is installed on the server but not "
            "in shared_preload_libraries (pg_stat_statements)") in " ".join(err.split())
    assert "ix_ticks_ts_brin" in _ticks_indexes(url)
    code, _, err = _run(tmp_path, url, "db", "timescale", "enable")
    assert code == 2
    assert "not in shared_preload_libraries (pg_stat_statements); add 'timescaledb'" in " ".join(err.split())
    assert "ix_ticks_ts_brin" in _ticks_indexes(url)  # nothing was touched


def test_require_stops_before_creating_anything_with_a_clear_message(fresh_db: str, tmp_path: Path) -> None:
    _shadow_catalog(fresh_db, "")
    url = fresh_db + SHADOW
    code, _, err = _run(tmp_path, url, "db", "upgrade", THEO__DATABASE__TIMESCALE="require")
    assert code == 2
    flat = " ".join(err.split())
    assert ('error: [database] timescale = "require", but the timescaledb extension 2.28.1 is installed on the '
            "server but not in shared_preload_libraries (empty)") in flat
    engine = make_engine(url)
    try:
        assert "ticks" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
