"""Where a restarted ``theo run`` resumes: the newest checkpoint, even when the last run died before writing one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from theo.model.enums import RunStatus
from theo.node.runs import RunStore
from theo.persistence.repositories.runs import SqlRunStore

T0 = datetime(2026, 1, 5, 15, tzinfo=UTC)


def _start(engine: Engine, n: int, digest: str = "abc") -> tuple[RunStore, dict[str, object]]:
    store = RunStore(SqlRunStore(engine))
    return store, store.start("paper", "synthetic", digest, T0 + timedelta(minutes=n), stale_after=15)


def test_a_run_killed_before_its_first_checkpoint_does_not_lose_the_previous_checkpoint(
        sqlite_engine: Engine) -> None:
    first, state = _start(sqlite_engine, 0)
    assert state == {}
    first.flush(T0, {"items": 10}, {"sim_now_us": 123, "feed": "synthetic"}, RunStatus.STOPPED, T0)
    killed, state = _start(sqlite_engine, 1)  # killed while catching up: its row keeps an empty state
    assert state["sim_now_us"] == 123
    again, state = _start(sqlite_engine, 2)
    assert (state["sim_now_us"], state["lineage"]) == (123, first.run_id)
    assert again.lineage == first.run_id  # the same signal journal: nothing replayed is written twice
    repo = SqlRunStore(sqlite_engine)
    killed_row = repo.latest(killed.run_id)
    assert killed_row is not None
    assert (killed_row["status"], killed_row["state"]) == (RunStatus.CRASHED, {})


def test_a_changed_config_starts_afresh_even_after_a_run_without_checkpoint(sqlite_engine: Engine) -> None:
    first, _ = _start(sqlite_engine, 0)
    first.flush(T0, {}, {"sim_now_us": 123}, RunStatus.STOPPED, T0)
    _start(sqlite_engine, 1, digest="other")
    later, state = _start(sqlite_engine, 2, digest="other")
    assert state == {}
    assert later.lineage == later.run_id
