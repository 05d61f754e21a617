"""The ``backtest_runs`` repository on SQLite and PostgreSQL: create, progress, finish, page, abandon."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from theo.persistence.repositories.backtests import BacktestRunRepository

T = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Engine:
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    store: Engine = request.getfixturevalue(name)
    return store


def test_runs_are_created_updated_paged_and_abandoned(engine: Engine) -> None:
    repo = BacktestRunRepository(engine)
    first = repo.create(T, "alice", "example", {"from": "2026-01-05", "source": "synthetic"})
    second = repo.create(T + timedelta(seconds=1), "bob", "other", {})
    repo.update(first, status="running", progress=0.5, out_dir="var/backtests/1")
    repo.update(first, status="completed", progress=1.0, metrics={"trades": 18, "sharpe": -1.25},
                finished_at=T + timedelta(seconds=4))
    run = repo.get(first)
    assert run is not None
    assert (run.status, run.progress, run.metrics, run.out_dir) == ("completed", 1.0, {"trades": 18, "sharpe": -1.25},
                                                                    "var/backtests/1")
    assert run.params == {"from": "2026-01-05", "source": "synthetic"}
    assert run.finished_at == T + timedelta(seconds=4)
    items, total = repo.page(1, 0)
    assert (total, [r.id for r in items]) == (2, [second])
    assert repo.abandon_active(T + timedelta(minutes=1), "stopped", keep=set()) == 1
    gone = repo.get(second)
    assert gone is not None
    assert (gone.status, gone.error) == ("failed", "stopped")
    assert repo.get(first).status == "completed"  # type: ignore[union-attr]
    assert repo.get(999) is None
