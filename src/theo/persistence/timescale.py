"""Whether the store uses TimescaleDB, and turning a plain PostgreSQL store into a TimescaleDB one.

``pg_available_extensions`` listing ``timescaledb`` only says the package is installed on the server. The
extension also has to be in ``shared_preload_libraries`` (a server restart): without it ``CREATE EXTENSION``
ends the connection with ``FATAL: extension "timescaledb" must be preloaded``, which used to crash ``theo db
upgrade`` half-way. :func:`probe` reads the facts with plain queries, :func:`decide` (a pure function, so every
case is unit-tested) says what to do with them; the SQL itself is in :mod:`theo.persistence.postgres`.

The decision for ``[database] timescale = "auto"`` (the default) when the extension is installed but not
preloaded: plain tables with a BRIN index and a warning that says how to switch (preload, restart, ``theo db
timescale enable``). Nothing is lost by waiting, since ``enable`` converts a plain store with its data; a store
that must not start without TimescaleDB sets ``timescale = "require"`` and gets a clear stop instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from theo.core.errors import StorageError
from theo.persistence.postgres import (
    AGGREGATES,
    COMPRESSION_SQL,
    TimescaleOptions,
    aggregate_statements,
    hypertable_sql,
    policy_statements,
)

#: Continuous aggregates with a bucket ``origin`` need 2.14; PostgreSQL 15 is supported up to 2.28.x.
MIN_VERSION = (2, 14)
PRELOAD_FIX = ("add 'timescaledb' to shared_preload_libraries in postgresql.conf (ALTER SYSTEM SET "
               "shared_preload_libraries = 'timescaledb' as a superuser also does it), restart PostgreSQL, then run "
               "`theo db timescale enable` (it keeps the stored ticks)")


@dataclass(frozen=True)
class Probe:
    """What the server and the database say about TimescaleDB.

    ``preload`` is ``shared_preload_libraries`` as the server reports it, ``None`` when this role may not read
    it (it is a superuser-only setting; ``pg_read_all_settings`` lets a role read it).
    """

    available: str | None = None  # default_version in pg_available_extensions
    installed: str | None = None  # the version created in this database (pg_extension)
    preload: str | None = ""
    hypertable: bool = False  # ticks is a hypertable
    compressed: bool = False  # compression is enabled on ticks
    aggregates: tuple[str, ...] = ()  # the continuous aggregates that exist

    @property
    def preloaded(self) -> bool | None:
        """Whether ``timescaledb`` is in the preload list (``None``: unknown)."""
        return None if self.preload is None else preload_has_timescaledb(self.preload)


@dataclass(frozen=True)
class Decision:
    """``use``: build (or keep) the TimescaleDB objects; ``reason`` one line for the user; ``warning`` if any."""

    use: bool
    reason: str
    warning: str | None = None


def preload_has_timescaledb(value: str) -> bool:
    """True when the ``shared_preload_libraries`` list names the timescaledb loader (quoted, ``$libdir/``, .so)."""
    for item in value.split(","):
        name = item.strip().strip('"').strip("'").rsplit("/", 1)[-1]
        if name.removesuffix(".so") == "timescaledb":
            return True
    return False


def parse_version(version: str) -> tuple[int, int]:
    match = re.match(r"(\d+)\.(\d+)", version)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def decide(found: Probe, mode: str = "auto") -> Decision:
    """What ``theo db upgrade`` does with TimescaleDB (module docstring); raises :class:`StorageError` when
    ``mode`` is ``require`` and TimescaleDB cannot be used."""
    if mode == "off":
        return Decision(False, "not used ([database] timescale = \"off\"): plain tables with a BRIN index")
    if found.installed is not None:
        if found.preloaded is False:  # every statement on the hypertable would end the connection
            raise StorageError(f"TimescaleDB {found.installed} is installed in this database, but the server does "
                               f"not preload it (shared_preload_libraries: {found.preload or 'empty'}): add "
                               "'timescaledb' to shared_preload_libraries in postgresql.conf and restart PostgreSQL")
        return Decision(True, f"TimescaleDB {found.installed} is installed in this database")
    problem: str | None
    if found.available is None:
        problem = ("the server has no timescaledb extension (pg_available_extensions does not list it); install "
                   "TimescaleDB 2.14-2.28 for this PostgreSQL and preload it")
    elif parse_version(found.available) < MIN_VERSION:
        problem = (f"the server's timescaledb extension is {found.available}; Theo needs 2.14 or later (bucket "
                   "origins in continuous aggregates): upgrade the package, then run `theo db timescale enable`")
    elif found.preloaded is None:
        problem = (f"the timescaledb extension {found.available} is installed on the server, but this database "
                   "user may not read shared_preload_libraries, so Theo cannot tell whether it is preloaded; "
                   "GRANT pg_read_all_settings TO the user (or check it as a superuser), then run "
                   "`theo db timescale enable`")
    elif not found.preloaded:
        listed = found.preload or "empty"
        problem = (f"the timescaledb extension {found.available} is installed on the server but not in "
                   f"shared_preload_libraries ({listed}); {PRELOAD_FIX}")
    else:
        return Decision(True, f"TimescaleDB {found.available} is available and preloaded")
    if mode == "require":
        raise StorageError(f"[database] timescale = \"require\", but {problem}")
    if found.available is None:  # plain PostgreSQL is a normal set-up: no warning
        return Decision(False, "not available on the server: plain tables with a BRIN index")
    return Decision(False, "not usable: plain tables with a BRIN index", f"TimescaleDB not used: {problem}")


def _scalar(conn: Any, sql: str) -> Any:
    row = conn.execute(text(sql)).first()
    return None if row is None else row[0]


def probe(conn: Any) -> Probe:
    """Read the facts with queries that never fail on plain PostgreSQL or for an unprivileged role.

    ``pg_settings`` hides superuser-only settings from a role without ``pg_read_all_settings`` instead of
    raising as ``current_setting`` does, so a migration's transaction is never aborted by the check.
    """
    if conn.dialect.name != "postgresql":
        return Probe(preload=None)
    row = conn.execute(text("SELECT default_version, installed_version FROM pg_available_extensions "
                            "WHERE name = 'timescaledb'")).first()
    available, _ = (row[0], row[1]) if row is not None else (None, None)
    installed = _scalar(conn, "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")
    preload = _scalar(conn, "SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries'")
    if installed is None or (preload is not None and not preload_has_timescaledb(preload)):
        return Probe(available, installed, preload)  # the information views need the loaded library
    hyper = conn.execute(text("SELECT compression_enabled FROM timescaledb_information.hypertables "
                              "WHERE hypertable_name = 'ticks'")).first()
    views = conn.execute(text("SELECT view_name FROM timescaledb_information.continuous_aggregates")).scalars()
    return Probe(available, installed, preload, hyper is not None, bool(hyper[0]) if hyper else False,
                 tuple(sorted(v for v in views if v in AGGREGATES)))


def enable_statements(found: Probe, opts: TimescaleOptions) -> list[str]:
    """The statements that make a plain store a TimescaleDB one; only what is missing, so a second run is a
    no-op apart from ``IF NOT EXISTS`` checks. The BRIN index goes (chunks are already time-ordered), so an
    enabled store has exactly the indexes of one created on TimescaleDB."""
    stmts = ["CREATE EXTENSION IF NOT EXISTS timescaledb"]
    if not found.hypertable:
        stmts += ["DROP INDEX IF EXISTS ix_ticks_ts_brin", hypertable_sql(opts)]
    stmts += aggregate_statements(opts)
    if not found.compressed:
        stmts.append(COMPRESSION_SQL)
    return stmts + policy_statements(opts)


def is_preload_error(exc: BaseException) -> bool:
    """The server refused to load the extension because it is not in ``shared_preload_libraries``."""
    return "must be preloaded" in str(getattr(exc, "orig", exc))


@dataclass(frozen=True)
class EnableReport:
    """What ``theo db timescale enable`` did: the state before and after, the ticks kept, the SQL it ran."""

    before: Probe
    after: Probe
    ticks_before: int
    ticks_after: int
    statements: list[str]
    refreshed: list[str]


def _usable_for_enable(found: Probe) -> None:
    """Raise a clear :class:`StorageError` unless the extension can be created (unknown preload: try it)."""
    if found.installed is None and found.available is not None and found.preloaded is None \
            and parse_version(found.available) >= MIN_VERSION:
        return
    decide(found, "require")


def _reason(exc: BaseException) -> str:
    return " ".join(str(getattr(exc, "orig", exc)).split())


def _count_ticks(engine: Any) -> int:
    with engine.connect() as conn:
        return int(_scalar(conn, "SELECT count(*) FROM ticks") or 0)


def enable(engine: Any, opts: TimescaleOptions, *, refresh: bool = True) -> EnableReport:
    """Make ``ticks`` a hypertable keeping its rows, add the aggregates and policies (idempotent).

    The DDL runs in one transaction, so a failure leaves the plain store as it was; the aggregates are then
    refreshed over all stored ticks (``CALL`` cannot run in a transaction; ``refresh=False`` leaves that to
    the policies, which only cover the last 3 days).
    """
    from sqlalchemy.exc import DBAPIError

    from theo.persistence.db import mask_url
    from theo.persistence.postgres import refresh_statements

    where = mask_url(engine.url.render_as_string(hide_password=False))
    if engine.dialect.name != "postgresql":
        raise StorageError(f"TimescaleDB needs PostgreSQL; the store {where} is SQLite (docs/storage.md)")
    if opts.mode == "off":
        raise StorageError("[database] timescale = \"off\" in the configuration: set it to \"auto\" (or remove "
                           "it) to let Theo use TimescaleDB, then run `theo db timescale enable` again")
    with engine.connect() as conn:
        before = probe(conn)
    _usable_for_enable(before)
    ticks_before = _count_ticks(engine)
    stmts = enable_statements(before, opts)
    try:
        with engine.begin() as conn:
            for stmt in stmts:
                conn.execute(text(stmt))
    except (DBAPIError, StorageError) as exc:
        if is_preload_error(exc):
            raise StorageError(f"cannot enable TimescaleDB on {where}: the server does not preload it; "
                               f"{PRELOAD_FIX}") from None
        raise StorageError(f"cannot enable TimescaleDB on {where}: {_reason(exc)}; the transaction was rolled "
                           "back, the store is as it was") from None
    refreshed: list[str] = []
    if refresh:
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for stmt in refresh_statements():
                    conn.execute(text(stmt))
                    refreshed.append(stmt)
        except (DBAPIError, StorageError) as exc:
            raise StorageError(f"TimescaleDB is enabled on {where}, but refreshing the aggregates failed: "
                               f"{_reason(exc)}; run the refresh again later with `theo db timescale enable` "
                               "(nothing else is repeated)") from None
    with engine.connect() as conn:
        after = probe(conn)
    return EnableReport(before, after, ticks_before, _count_ticks(engine), stmts, refreshed)


def store_probe(engine: Any) -> Probe | None:
    """The probe of a store (``None`` for SQLite): what the commands show."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        return probe(conn)


def options_for(database: Any, ohlc_conditions: Any) -> TimescaleOptions:
    """The options of ``[database]`` and ``[marketdata.conditions]`` (see :func:`theo.persistence.db.upgrade`)."""
    from theo.persistence.db import timescale_options

    return timescale_options(database, ohlc_conditions)
