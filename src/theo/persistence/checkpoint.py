"""WAL checkpoints off the order path: a background thread copies the write-ahead log into the database file.

SQLite in WAL mode appends every commit to the ``-wal`` file; by default the commit that takes the log past
1,000 pages also copies it back into the database and syncs it to disk (an automatic checkpoint), a few
milliseconds on the path of whatever order made that commit. A paper or live node turns the automatic
checkpoint off on its write connections and runs :class:`Checkpointer` instead: a ``PASSIVE`` checkpoint every
``interval`` seconds from its own connection, which never blocks a writer (SQLite's ``wal_checkpoint``; the
``sqlite3`` module releases the GIL while it runs). Durability is unchanged: a commit is in the log before it
returns, whether or not a checkpoint has copied it yet (docs/storage.md, Durability).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from theo.persistence.db import sqlite_file

log = logging.getLogger(__name__)

# The automatic checkpoint a write connection keeps when a checkpointer runs: far above what a checkpointer
# leaves behind, it only bounds the log if the checkpointer could not run (a reader held it back).
BACKSTOP_PAGES = 20_000


def defer_checkpoints(dbapi_conn: Any) -> None:
    """Leave checkpoints of this SQLite connection to a :class:`Checkpointer` (up to the backstop)."""
    dbapi_conn.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")


def background_checkpoints(engine: Engine, *files: Path) -> Checkpointer:
    """A checkpointer for the store of ``engine`` (when it is an SQLite file) and the SQLite ``files``.

    The store's connections leave their checkpoints to it (pooled ones are reopened with the setting).
    """
    paths = list(files)
    database = sqlite_file(engine)
    if database is not None:
        event.listen(engine, "connect", lambda conn, _record: defer_checkpoints(conn))
        engine.dispose()
        paths.insert(0, database)
    return Checkpointer(paths)


class Checkpointer:
    """A daemon thread checkpointing SQLite databases (``-wal`` files) every ``interval`` seconds."""

    def __init__(self, paths: Sequence[Path], interval: float = 0.5) -> None:
        self.paths = list(paths)
        self.interval = interval
        self.checkpoints = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None and self.paths:
            self._thread = threading.Thread(target=self._run, name="theo-wal-checkpoint", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread after one last checkpoint."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        conns: dict[Path, sqlite3.Connection] = {}
        try:
            while True:
                stopping = self._stop.wait(self.interval)
                for path in self.paths:
                    self._checkpoint(conns, path)
                if stopping:
                    return
        finally:
            for conn in conns.values():
                conn.close()

    def _checkpoint(self, conns: dict[Path, sqlite3.Connection], path: Path) -> None:
        try:
            conn = conns.get(path)
            if conn is None:
                if not path.exists():
                    return
                conn = conns[path] = sqlite3.connect(f"file:{path}?mode=rw", uri=True, isolation_level=None,
                                                     check_same_thread=False)
                conn.execute("PRAGMA busy_timeout=1000")
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self.checkpoints += 1
        except sqlite3.Error as exc:  # the next round tries again; the backstop bounds the log meanwhile
            log.warning("WAL checkpoint of %s failed: %s", path, exc)
            bad = conns.pop(path, None)
            if bad is not None:
                bad.close()


__all__ = ["BACKSTOP_PAGES", "Checkpointer", "background_checkpoints", "defer_checkpoints"]
