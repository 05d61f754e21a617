"""WAL checkpoints off the order path: the store's connections defer them, a background thread runs them."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlalchemy import text

from theo.persistence.checkpoint import BACKSTOP_PAGES, background_checkpoints
from theo.persistence.db import make_engine


def test_the_store_defers_its_checkpoints_and_the_thread_copies_the_log_back(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'theo.db'}")
    other = tmp_path / "broker.db"
    with sqlite3.connect(other) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (x INTEGER)")
    checkpointer = background_checkpoints(engine, other)
    assert checkpointer.paths == [tmp_path / "theo.db", other]
    with engine.begin() as conn:
        assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar_one() == BACKSTOP_PAGES
        conn.execute(text("CREATE TABLE rows (x TEXT)"))
    for _ in range(200):  # well under the backstop: nothing but the thread copies these frames back
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO rows VALUES (:x)"), {"x": "y" * 500})
    database = tmp_path / "theo.db"
    assert database.stat().st_size < 50_000  # the 100 kB of rows are still only in the log
    checkpointer.interval = 0.05
    checkpointer.start()
    try:
        deadline = time.monotonic() + 30
        while checkpointer.checkpoints < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        checkpointer.stop()
    assert checkpointer.checkpoints >= 4  # both files, at least twice
    assert database.stat().st_size > 100_000  # copied back into the database file
    engine.dispose()


def test_no_file_no_checkpoint(tmp_path: Path) -> None:
    assert background_checkpoints(make_engine("sqlite:///:memory:")).paths == []
