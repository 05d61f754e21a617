"""The database replay resumes after a reconnect on PostgreSQL too (row-value comparison on timestamptz)."""

from __future__ import annotations

from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.unit.data.test_reconnect import check_database_replay_resume
from theo.data.feeds import base


def test_a_database_replay_resumes_after_the_last_delivered_row_on_postgres(
        pg_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_wait(aw: Coroutine[Any, Any, Any], timeout: float) -> None:
        aw.close()
        raise TimeoutError

    monkeypatch.setattr(base.asyncio, "wait_for", no_wait)
    check_database_replay_resume(pg_engine, tmp_path)
