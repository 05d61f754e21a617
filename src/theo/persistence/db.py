"""Engines, sessions and migrations for SQLite (the embedded default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from weakref import WeakSet

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from theo.core.errors import StorageError, StoreConnectionLost
from theo.persistence.postgres import DEFAULT_OHLC_CONDITIONS, TimescaleOptions

if TYPE_CHECKING:
    from theo.config.app import DatabaseConfig

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def mask_url(url: str) -> str:
    """The URL with any password replaced by ``***`` (safe to log and print)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparsable database URL>"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets readers (theo status, the API) see the store while the engine writes.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


#: SQLite errors that say the file cannot be written or read, not that a statement is wrong.
_SQLITE_IO = ("disk i/o error", "database or disk is full", "readonly database", "unable to open database file",
              "database disk image is malformed", "file is not a database")


#: Engines that have connected once: a failed connect after that is a lost store, not a wrong URL.
_CONNECTED: WeakSet[Engine] = WeakSet()

_RESUME = "then start the command again: a run resumes from its journal and checkpoint, nothing sent is lost"


def _headline(ctx: ExceptionContext) -> str | None:
    """What went wrong with the store in ``ctx`` (``None``: the statement failed, not the store)."""
    engine = ctx.engine
    if engine is None or ctx.is_pre_ping:  # the pool replaces a connection that fails its ping
        return None
    if engine.dialect.name == "sqlite":
        reason = str(ctx.original_exception).lower()
        return "cannot write or read the SQLite database" if any(r in reason for r in _SQLITE_IO) else None
    if ctx.is_disconnect:
        return "lost the connection to the database"
    if ctx.connection is None and engine in _CONNECTED:  # never connected: the caller names the command
        return "lost the connection to the database and cannot open it again"
    return None


def _storage_failure(ctx: ExceptionContext) -> None:
    """Turn a lost connection or a failing SQLite file into a :class:`StorageError` a user can act on."""
    headline = _headline(ctx)
    if headline is None or ctx.engine is None:
        return
    reason = " ".join(str(ctx.original_exception).split()).rstrip(".")
    if ctx.engine.dialect.name == "sqlite":
        advice = f"check the free disk space, the file's permissions and the disk, {_RESUME}"
    else:
        advice = f"check that the server is up and reachable, {_RESUME}"
    where = mask_url(ctx.engine.url.render_as_string(hide_password=False))
    kind = StorageError if ctx.engine.dialect.name == "sqlite" else StoreConnectionLost
    raise kind(f"{headline} {where}: {reason}.\n{advice}")


def make_engine(url: str, *, echo: bool = False, pool_size: int = 5) -> Engine:
    """Create an engine; for SQLite the parent folder is created and WAL mode switched on.

    A lost connection or a failing SQLite file raises :class:`StorageError` naming the store (password
    masked) and what to do; ``pool_pre_ping`` replaces connections the server dropped while they were idle.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        if parsed.drivername in ("postgresql", "postgres"):
            url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        engine = create_engine(url, echo=echo, pool_size=pool_size, pool_pre_ping=True)
    event.listen(engine, "handle_error", _storage_failure)
    event.listen(engine, "first_connect", lambda _conn, _record: _CONNECTED.add(engine))
    return engine


def sqlite_file(engine: Engine) -> Path | None:
    """The database file of a file-backed SQLite engine (``None`` for PostgreSQL or memory)."""
    if engine.dialect.name != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        return None
    return Path(engine.url.database).expanduser()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on error."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


def alembic_config(engine: Engine, timescale: TimescaleOptions | None = None) -> Any:
    """Alembic config bound to ``engine``; ``timescale`` carries the TimescaleDB policy intervals."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    if timescale is not None:
        cfg.attributes["timescale"] = timescale
    return cfg


def timescale_options(database: DatabaseConfig, ohlc_conditions: Sequence[str] | None = None) -> TimescaleOptions:
    """TimescaleDB policy intervals from ``[database]``; OHLC sale conditions from ``[marketdata.conditions]``."""
    conditions = tuple(ohlc_conditions) if ohlc_conditions is not None else DEFAULT_OHLC_CONDITIONS
    return TimescaleOptions(mode=database.timescale, compress_after_days=database.timescale_compress_after_days,
                            retention_days=database.timescale_retention_days, ohlc_conditions=conditions)


def upgrade(engine: Engine, revision: str = "head", *, database: DatabaseConfig | None = None,
            ohlc_conditions: Sequence[str] | None = None) -> None:
    """Apply migrations up to ``revision``; raise :class:`StorageError` when the store is unreachable.

    ``database`` supplies the TimescaleDB compression and retention intervals and ``ohlc_conditions`` the
    continuous aggregates' condition filter (defaults otherwise).
    """
    from alembic import command

    try:
        ts = timescale_options(database, ohlc_conditions) if database is not None else None
        command.upgrade(alembic_config(engine, ts), revision)
    except (OperationalError, ProgrammingError) as exc:
        where = mask_url(str(engine.url))
        if "already exists" in str(exc.orig) and _revision_or_none(engine) is None:
            raise StorageError(
                f"cannot migrate {where}: {exc.orig}, but the store has no schema revision: it was not made by "
                "'theo db upgrade' or an older release was interrupted while creating it; point database.url at an "
                "empty database (or delete the SQLite file, if it holds nothing to keep) and run 'theo db upgrade'"
            ) from None
        raise StorageError(f"cannot migrate {where}: {exc.orig}") from None


def _revision_or_none(engine: Engine) -> str | None:
    try:
        return current_revision(engine)
    except (OperationalError, StorageError):
        return None


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    from theo.persistence.db import alembic_config as _cfg

    script = ScriptDirectory.from_config(_cfg(create_engine("sqlite://")))
    head = script.get_current_head()
    assert head is not None
    return head


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())
