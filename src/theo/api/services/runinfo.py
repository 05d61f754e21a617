"""The engine run the API reports on: the latest ``engine_runs`` row and its counters.

Embedded in ``theo run``, the counters come from the run's in-memory snapshot (refreshed every status
interval on the engine's own thread); standalone (``theo api``) from the row's last heartbeat. Either way
nothing here touches an engine object.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from theo.api.services.context import ServiceContext
from theo.model.enums import RunStatus


class RunInfo(BaseModel):
    id: int
    mode: str
    feed: str
    status: str = Field(description="running | stale (no heartbeat lately) | stopped | completed | crashed")
    heartbeat: datetime
    sim_now: datetime | None = Field(description="the engine's clock: simulated time of a paper run, else wall")


def stale_after(ctx: ServiceContext) -> timedelta:
    """How old a running engine's heartbeat may be before the run counts as stale."""
    return timedelta(seconds=max(3 * ctx.config.engine.heartbeat_seconds, 15.0))


def _parse(ts: Any) -> datetime | None:
    if not isinstance(ts, str) or not ts:
        return None
    when = datetime.fromisoformat(ts)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def latest_run(ctx: ServiceContext) -> tuple[RunInfo | None, dict[str, Any]]:
    """The latest run (``None`` before the first ``theo run``) and its counters."""
    from theo.persistence.repositories.runs import SqlRunStore

    row = SqlRunStore(ctx.store).latest()
    if row is None:
        return None, {}
    counters: dict[str, Any] = dict(row["counters"])
    live = ctx.run is not None
    if live:
        assert ctx.run is not None
        counters = {**counters, **ctx.run.counters()}
    status = str(row["status"])
    if status == RunStatus.RUNNING and not live and datetime.now(UTC) - row["heartbeat"] > stale_after(ctx):
        status = "stale"
    info = RunInfo(id=row["id"], mode=row["mode"], feed=row["feed"], status=status, heartbeat=row["heartbeat"],
                   sim_now=_parse(counters.get("sim_now")))
    return info, counters
