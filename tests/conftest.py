"""Fixtures shared by every test: real data location, SQLite and PostgreSQL stores."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("THEO_SHARED_DATA", REPO.parent / "shared" / "data"))
PG_ADMIN_URL = os.environ.get("THEO_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

_pg_counts = {"passed": 0, "failed": 0, "skipped": 0}


def shared_file(relative: str) -> Path:
    """Path of a file in ``../shared/data``; skip the test with a message when it is absent."""
    path = SHARED_DATA / relative
    if not path.is_file():
        pytest.skip(f"real data file {path} is absent (a fresh clone has no ../shared/data)")
    return path


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is absent (a fresh clone has no ../shared/data)")
    return SHARED_DATA


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite store in a temporary folder."""
    from theo.persistence.db import make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'theo.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def _pg_admin() -> Engine | None:
    from sqlalchemy import create_engine, text

    try:
        engine = create_engine(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"),
                               isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return engine
    except Exception as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is unreachable and CI=true: {exc}")
        return None


@contextmanager
def pg_database(prefix: str = "theo_test") -> Iterator[str]:
    """A new, empty PostgreSQL database on the test server (dropped afterwards); skips when the server is
    unreachable, fails instead with CI=true."""
    from sqlalchemy import text

    admin = _pg_admin()
    if admin is None:
        pytest.skip(f"PostgreSQL at {PG_ADMIN_URL} is unreachable (set CI=true to make this a failure)")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL database, created for this test session and dropped after it."""
    with pg_database() as url:
        yield url


@pytest.fixture
def pg_engine(pg_database_url: str) -> Iterator[Engine]:
    """A migrated PostgreSQL store; every table is emptied after the test."""
    from sqlalchemy import text

    from theo.persistence.db import make_engine, upgrade
    from theo.persistence.models import Base

    engine = make_engine(pg_database_url)
    upgrade(engine)
    yield engine
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} CASCADE"))
    engine.dispose()


_browser_set_aside = 0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    global _browser_set_aside
    for item in items:
        if "pg_engine" in getattr(item, "fixturenames", ()) or "pg_database_url" in getattr(
            item, "fixturenames", ()
        ):
            item.add_marker(pytest.mark.postgres)
    # Playwright's sync API keeps an event loop running in the process for as long as its browser is open, and
    # every later asyncio.run() in that process fails. So browser tests get a pytest process of their own:
    # collected beside other tests, they are set aside (`make test` runs them next with `pytest -m browser`).
    browser = [i for i in items if "browser" in i.keywords]
    if browser and len(browser) < len(items) and not config.getoption("markexpr"):
        config.hook.pytest_deselected(items=browser)
        items[:] = [i for i in items if "browser" not in i.keywords]
        _browser_set_aside = len(browser)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "postgres" in report.keywords and (report.when == "call" or report.outcome == "skipped"):
        _pg_counts[report.outcome] = _pg_counts.get(report.outcome, 0) + 1


def pytest_terminal_summary(terminalreporter: object) -> None:
    tr = terminalreporter
    write = getattr(tr, "write_line", print)
    if _browser_set_aside:
        write(f"browser tests: {_browser_set_aside} set aside for their own process; run them with "
              f"`pytest -m browser` (make test does)")
    if any(_pg_counts.values()):
        write(
            f"PostgreSQL tests: {_pg_counts['passed']} passed, {_pg_counts['failed']} failed, "
            f"{_pg_counts['skipped']} skipped"
        )
