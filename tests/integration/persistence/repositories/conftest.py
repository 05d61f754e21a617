"""Every repository test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """A migrated store of each dialect (PostgreSQL tables are emptied after the test)."""
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    if request.param == "postgresql":
        request.applymarker(pytest.mark.postgres)
    value: Engine = request.getfixturevalue(name)
    return value
