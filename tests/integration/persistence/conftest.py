"""Fixtures of the persistence tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import pg_database


@pytest.fixture
def fresh_pg_url() -> Iterator[str]:
    """A new, empty PostgreSQL database on the test server, dropped after the test."""
    with pg_database("theo_fresh") as url:
        yield url
