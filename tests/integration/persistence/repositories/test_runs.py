"""Engine runs on each dialect: the newest run that wrote a checkpoint is found past runs that wrote none."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from theo.persistence.repositories.runs import SqlRunStore

T0 = datetime(2026, 1, 5, 15, tzinfo=UTC)


def test_the_newest_checkpoint_is_found_past_runs_without_one(engine: Engine) -> None:
    repo = SqlRunStore(engine)
    assert repo.checkpointed() is None
    first = repo.open("paper", "synthetic", "abc", T0, crashed=None)
    repo.write(first, [], T0, {"items": 5}, {"sim_now_us": 1}, "stopped", T0)
    second = repo.open("paper", "synthetic", "abc", T0, crashed=None)
    repo.write(second, [], T0, {"items": 9}, {"sim_now_us": 2}, "stopped", T0)
    killed = repo.open("paper", "synthetic", "abc", T0, crashed=None)  # never wrote its checkpoint
    saved = repo.checkpointed()
    assert saved is not None
    assert (saved["id"], saved["state"], saved["counters"]) == (second, {"sim_now_us": 2}, {"items": 9})
    latest = repo.latest()
    assert latest is not None
    assert (latest["id"], latest["state"]) == (killed, {})
