"""A full or unreadable SQLite file is a :class:`StorageError` naming the file and what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tests.integration.persistence.cli_proc import paper_config, theo
from theo.core.errors import StorageError

ROW = "INSERT INTO audit_log (ts, actor, action, detail) VALUES ('2026-01-05 14:30:00', 'test', :a, '{}')"


def test_a_full_sqlite_database_is_a_clear_storage_error(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as conn:
        pages = int(conn.exec_driver_sql("PRAGMA page_count").scalar_one())
        conn.exec_driver_sql(f"PRAGMA max_page_count = {pages}")  # this connection may not grow the file
        rows = [{"a": "x" * 500 + str(i)} for i in range(10_000)]
        with pytest.raises(StorageError) as info:
            conn.execute(text(ROW), rows)
    msg = str(info.value)
    assert msg.startswith(f"cannot write or read the SQLite database {sqlite_engine.url}: database or disk is full")
    assert "check the free disk space" in msg
    assert "nothing sent is lost" in msg


def test_a_statement_error_stays_a_statement_error(sqlite_engine: Engine) -> None:
    from sqlalchemy.exc import OperationalError

    with sqlite_engine.connect() as conn, pytest.raises(OperationalError):
        conn.execute(text("SELECT * FROM no_such_table"))


@pytest.mark.slow
def test_a_run_on_a_file_that_is_not_a_database_stops_with_a_message(tmp_path: Path) -> None:
    db = tmp_path / "theo.db"
    db.write_bytes(b"not a database, " * 512)
    cfg = paper_config(tmp_path, f"sqlite:///{db}")
    r = theo("run", "--config", str(cfg), "--duration", "2")
    assert r.returncode == 2
    assert "Traceback" not in r.stdout + r.stderr
    assert f"cannot write or read the SQLite database sqlite:///{db}: file is not a database" in r.stderr
