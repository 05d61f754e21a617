"""`theo db backup` / `theo db restore` on SQLite and PostgreSQL: back up, destroy, restore, same records."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.conftest import _pg_admin
from tests.integration.cli.backup_seed import T0, seed, snapshot
from tests.integration.cli.conftest import Invoke
from theo.model.enums import OrderType, Side
from theo.model.orders import Order, OrderRequest
from theo.persistence.backup import manifest_path
from theo.persistence.db import make_engine, transaction, upgrade
from theo.persistence.models.orders import EngineLockRow
from theo.persistence.repositories.orders import SqlOrderJournal


def _sqlite_config(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "var"
    config = tmp_path / "theo.toml"
    config.write_text(f'[app]\ndata_dir = "{data}"\n')
    return config, data / "theo.db"


def _seeded_sqlite(tmp_path: Path) -> tuple[Path, Path, dict[str, Any]]:
    config, db = _sqlite_config(tmp_path)
    db.parent.mkdir(parents=True)
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    seed(engine)
    before = snapshot(engine)
    engine.dispose()
    return config, db, before


def _destroy(db: Path) -> None:
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        path.unlink(missing_ok=True)


def test_sqlite_backup_destroy_restore_gives_the_same_records(theo: Invoke, tmp_path: Path) -> None:
    config, db, before = _seeded_sqlite(tmp_path)
    assert len(before["orders"]) == 2
    assert len(before["fills"]) == 2
    assert len(before["trades"]) == 2
    result = theo("db", "backup", "--config", str(config))
    assert result.exit_code == 0, result.output
    backups = sorted((db.parent / "backups").glob("theo-*Z.sqlite"))
    assert len(backups) == 1
    manifest = json.loads(manifest_path(backups[0]).read_text())
    assert manifest["format"] == "sqlite"
    assert manifest["row_counts"] == {"orders": 2, "fills": 2, "trades": 2, "trading_state": 1,
                                      "settings": manifest["row_counts"]["settings"], "ticks": 0, "bars": 0}
    assert manifest["row_counts"]["settings"] > 0
    assert manifest["schema_revision"]
    assert manifest["theo_version"]
    assert datetime.fromisoformat(manifest["created_at"]).tzinfo is not None
    assert f"sha256 {manifest['sha256']}" in result.output

    _destroy(db)
    result = theo("db", "restore", str(backups[0]), "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "orders" in result.output
    assert "match the manifest" in result.output
    engine = make_engine(f"sqlite:///{db}")
    assert snapshot(engine) == before
    engine.dispose()


def test_a_corrupt_backup_is_refused_and_nothing_is_restored(theo: Invoke, tmp_path: Path) -> None:
    config, db, _ = _seeded_sqlite(tmp_path)
    out = tmp_path / "b.sqlite"
    assert theo("db", "backup", "--out", str(out), "--config", str(config)).exit_code == 0
    data = bytearray(out.read_bytes())
    data[5000] ^= 0xFF
    out.write_bytes(bytes(data))
    _destroy(db)
    result = theo("db", "restore", str(out), "--config", str(config))
    assert result.exit_code == 2
    assert "corrupt" in result.output
    assert "nothing was restored" in result.output
    assert not db.exists() or db.stat().st_size == 0 or "orders" not in _tables(db)
    manifest_path(out).unlink()
    result = theo("db", "restore", str(out), "--config", str(config))
    assert result.exit_code == 2
    assert "manifest" in result.output
    assert "missing" in result.output


def _tables(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_a_store_with_rows_is_kept_without_yes_and_a_live_engine_blocks_restore(theo: Invoke, tmp_path: Path) -> None:
    config, db, before = _seeded_sqlite(tmp_path)
    out = tmp_path / "b.sqlite"
    assert theo("db", "backup", "--out", str(out), "--config", str(config)).exit_code == 0
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM fills"))
    result = theo("db", "restore", str(out), "--config", str(config))
    assert result.exit_code == 2
    assert "not empty" in result.output
    assert "--yes" in result.output
    assert snapshot(engine)["fills"] == []

    now = datetime.now(UTC)
    with transaction(engine) as s:  # a `theo run` of this host that is alive (this process) and beating
        import os
        import socket
        s.add(EngineLockRow(name="engine", owner="o", pid=os.getpid(), host=socket.gethostname(), acquired_at=now,
                            heartbeat=now))
    result = theo("db", "restore", str(out), "--yes", "--config", str(config))
    assert result.exit_code == 2
    assert "stop `theo run`" in result.output
    with transaction(engine) as s:  # the holder on another host stopped beating long ago: stale
        row = s.get(EngineLockRow, "engine")
        assert row is not None
        row.host, row.heartbeat = "elsewhere", now - timedelta(minutes=5)
    engine.dispose()
    result = theo("db", "restore", str(out), "--yes", "--config", str(config))
    assert result.exit_code == 0, result.output
    engine = make_engine(f"sqlite:///{db}")
    assert snapshot(engine) == before
    engine.dispose()


def test_a_backup_taken_while_another_connection_writes_is_consistent(theo: Invoke, tmp_path: Path) -> None:
    config, db, _ = _seeded_sqlite(tmp_path)
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE writes (batch INTEGER, i INTEGER)")
    stop = threading.Event()
    batches = [0]

    def writer() -> None:
        conn = sqlite3.connect(db, timeout=30)
        while not stop.is_set():
            with conn:  # one transaction of ten rows
                conn.executemany("INSERT INTO writes VALUES (?, ?)", [(batches[0], i) for i in range(10)])
            batches[0] += 1
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while batches[0] < 20 and thread.is_alive():
            time.sleep(0.005)
        outs = [tmp_path / f"b{n}.sqlite" for n in range(3)]
        for out in outs:
            assert theo("db", "backup", "--out", str(out), "--config", str(config)).exit_code == 0
    finally:
        stop.set()
        thread.join()
    for out in outs:
        with sqlite3.connect(out) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            rows, distinct = copy.execute("SELECT count(*), count(DISTINCT batch) FROM writes").fetchone()
            assert rows > 0
            assert rows == distinct * 10
            orders = copy.execute("SELECT count(*) FROM orders").fetchone()[0]
        assert json.loads(manifest_path(out).read_text())["row_counts"]["orders"] == orders == 2


def test_the_runbook_backup_destroy_restore_upgrade_keeps_the_trading_state(theo: Invoke, tmp_path: Path) -> None:
    config, db, _ = _seeded_sqlite(tmp_path)
    assert "HALTED" in theo("risk", "status", "--config", str(config)).output
    out = tmp_path / "nightly #1?.sqlite"  # a path SQLite URIs would misread unquoted
    assert theo("db", "backup", "--out", str(out), "--config", str(config)).exit_code == 0
    _destroy(db)
    assert theo("db", "restore", str(out), "--config", str(config)).exit_code == 0
    result = theo("db", "upgrade", "--config", str(config))
    assert result.exit_code == 0
    assert "(head)" in result.output
    status = theo("risk", "status", "--config", str(config))
    assert status.exit_code == 0
    assert "trading state: HALTED" in status.output
    assert "backup drill" in status.output


# -- PostgreSQL ------------------------------------------------------------------------------------------------
@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database of its own (dropped after the test)."""
    admin = _pg_admin()
    if admin is None:
        pytest.skip("PostgreSQL is unreachable")
    name = f"theo_bk_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = str(admin.url.render_as_string(hide_password=False)).replace("postgresql+psycopg://", "postgresql://")
    try:
        yield f"{base.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _recreate(url: str) -> None:
    admin = _pg_admin()
    assert admin is not None
    name = url.rsplit("/", 1)[1]
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def test_postgres_backup_drop_restore_gives_the_same_records(theo: Invoke, tmp_path: Path, pg_url: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    seed(engine)
    before = snapshot(engine)
    engine.dispose()
    config = tmp_path / "theo.toml"
    config.write_text(f'[app]\ndata_dir = "{tmp_path / "var"}"\n[database]\nurl = "{pg_url}"\n')
    calls: list[tuple[list[str], dict[str, str]]] = []
    real_run = subprocess.run

    def spy(cmd: list[str], **kw: Any) -> Any:
        calls.append((list(cmd), dict(kw["env"])))
        return real_run(cmd, **kw)

    monkeypatch.setattr("theo.persistence.backup.subprocess.run", spy)
    secret = "pw-" + uuid.uuid4().hex[:8]
    env = {"THEO__DATABASE__PASSWORD": secret}
    result = theo("db", "backup", "--config", str(config), env=env)
    assert result.exit_code == 0, result.output
    dump = next((tmp_path / "var" / "backups").glob("theo-*Z.dump"))
    manifest_text = manifest_path(dump).read_text()
    manifest = json.loads(manifest_text)
    assert manifest["format"] == "pg_dump-custom"
    assert manifest["row_counts"]["orders"] == 2
    assert manifest["row_counts"]["fills"] == 2
    assert calls[0][0][1] == "--format=custom"
    assert calls[0][1]["PGPASSWORD"] == secret
    assert secret not in " ".join(calls[0][0])
    assert secret not in manifest_text
    assert secret not in result.output

    _recreate(pg_url)
    result = theo("db", "restore", str(dump), "--config", str(config), env=env)
    assert result.exit_code == 0, result.output
    assert "--clean" in calls[1][0]
    assert secret not in " ".join(calls[1][0])
    assert secret not in result.output
    engine = make_engine(pg_url)
    assert snapshot(engine) == before
    engine.dispose()
    result = theo("db", "restore", str(dump), "--config", str(config))
    assert result.exit_code == 2
    assert "not empty" in result.output
    engine = make_engine(pg_url)
    with engine.begin() as conn:  # a store gone wrong: restoring over it with --yes puts the backup back
        conn.execute(text("DELETE FROM fills"))
        conn.execute(text("UPDATE settings SET value = '\"0\"' WHERE key = 'capital'"))
    result = theo("db", "restore", str(dump), "--yes", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert snapshot(engine) == before
    engine.dispose()


def test_a_missing_pg_dump_names_the_debian_package(theo: Invoke, tmp_path: Path, pg_url: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "theo.toml"
    config.write_text(f'[app]\ndata_dir = "{tmp_path / "var"}"\n[database]\nurl = "{pg_url}"\n')
    monkeypatch.setattr("theo.persistence.backup.shutil.which", lambda name: None)
    result = theo("db", "backup", "--out", str(tmp_path / "x.dump"), "--config", str(config))
    assert result.exit_code == 2
    assert "pg_dump" in result.output
    assert "postgresql-client" in result.output
    assert not (tmp_path / "x.dump").exists()


def test_the_manifest_refers_to_the_cold_archive_and_a_dump_is_not_restored_into_sqlite(
        theo: Invoke, tmp_path: Path) -> None:
    config, db, _ = _seeded_sqlite(tmp_path)
    archive = db.parent / "archive"
    archive.mkdir()
    (archive / "manifest.jsonl").write_text('{"event": "written"}\n{"event": "verified"}\n')
    out = tmp_path / "b.sqlite"
    assert theo("db", "backup", "--out", str(out), "--config", str(config)).exit_code == 0
    manifest = json.loads(manifest_path(out).read_text())
    assert manifest["archive"] == {"manifest": str(archive / "manifest.jsonl"), "entries": 2,
                                   "sha256": hashlib.sha256((archive / "manifest.jsonl").read_bytes()).hexdigest()}
    result = theo("db", "backup", "--out", str(out), "--config", str(config))
    assert result.exit_code == 2
    assert "exists already" in result.output
    manifest["format"] = "pg_dump-custom"
    manifest_path(out).write_text(json.dumps(manifest))
    result = theo("db", "restore", str(out), "--yes", "--config", str(config))
    assert result.exit_code == 2
    assert "pg_dump-custom backup" in result.output


def test_a_postgres_backup_taken_while_orders_are_written_restores_exactly_its_manifest(
        theo: Invoke, tmp_path: Path, pg_url: str) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    seed(engine)
    config = tmp_path / "theo.toml"
    config.write_text(f'[app]\ndata_dir = "{tmp_path / "var"}"\n[database]\nurl = "{pg_url}"\n')
    stop = threading.Event()
    written = [0]

    def writer() -> None:
        journal = SqlOrderJournal(engine, broker="sim")
        while not stop.is_set():
            order = Order(f"w-{written[0]}", OrderRequest("SPY", Side.BUY, Decimal(1), OrderType.MARKET),
                          created_at=T0, updated_at=T0)
            journal.record_intent(order, T0)
            written[0] += 1
        journal.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 20 and thread.is_alive():
            time.sleep(0.01)
        result = theo("db", "backup", "--out", str(tmp_path / "live.dump"), "--config", str(config))
    finally:
        stop.set()
        thread.join()
    assert result.exit_code == 0, result.output
    counted = json.loads(manifest_path(tmp_path / "live.dump").read_text())["row_counts"]["orders"]
    assert 2 + 20 <= counted <= 2 + written[0]
    engine.dispose()
    _recreate(pg_url)
    result = theo("db", "restore", str(tmp_path / "live.dump"), "--config", str(config))
    assert result.exit_code == 0, result.output  # the restore itself checks every count against the manifest
    engine = make_engine(pg_url)
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM orders")) == counted
    engine.dispose()
