"""Readiness: whether this process can trade now. One check per concern (database, broker link, data freshness
per symbol in session, disk space, memory), each ``ok`` with a human detail; ``/readyz``, ``theo health`` and the
Telegram ``/status`` all call :func:`readiness`.

The figures are not secret (no role is needed), and no detail carries one: database errors go through
:func:`theo.config.loader.redact`.
"""

from __future__ import annotations

import resource
import sys
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from theo.api.services.context import ServiceContext
from theo.api.services.overview import health as run_health
from theo.api.services.runinfo import RunInfo, latest_run
from theo.api.services.system import Check, database_check, disk_check, freshness
from theo.config.loader import redact

#: The database must answer ``SELECT 1`` within this many seconds.
DB_TIMEOUT_SECONDS = 3.0


class Readiness(BaseModel):
    ready: bool = Field(description="every check passed")
    checks: list[Check]


def _database(ctx: ServiceContext) -> Check:
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="theo-ready-db")
    try:
        return pool.submit(database_check, ctx).result(timeout=DB_TIMEOUT_SECONDS)
    except FutureTimeout:
        return Check(name="database", ok=False, detail=f"no answer to SELECT 1 within {DB_TIMEOUT_SECONDS:.0f} s")
    finally:
        pool.shutdown(wait=False)


def _broker(run: RunInfo | None, counters: dict[str, Any]) -> Check:
    broker = run_health(run, counters).broker
    return Check(name="broker", ok=broker.status == "ok", detail=broker.detail)


def _freshness(ctx: ServiceContext, run: RunInfo | None, counters: dict[str, Any], now: datetime) -> list[Check]:
    """One check per traded symbol: in session (the market calendar) and no tick for longer than
    ``[api] ready_stale_seconds`` fails; outside its session a symbol is never stale."""
    from theo.core.calendar import get_calendar

    market = ctx.config.market
    open_now = get_calendar(market.calendar, market).is_open(now)
    limit = ctx.config.api.ready_stale_seconds
    out = []
    for f in freshness(ctx, run, counters):
        name = f"data {f.symbol}"
        if not open_now:
            out.append(Check(name=name, ok=True, detail="session closed"))
        elif f.last_tick is None:
            out.append(Check(name=name, ok=False, detail="session open, no tick seen"))
        else:
            age = (now - f.last_tick).total_seconds()
            out.append(Check(name=name, ok=age <= limit, detail=f"session open, last tick {age:.0f} s ago "
                             f"(stale after {limit:.0f} s)"))
    return out


def rss_bytes() -> int:
    """This process's resident memory (``/proc/self/status``; the peak from ``getrusage`` elsewhere)."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def _memory(ctx: ServiceContext) -> Check:
    rss, limit = rss_bytes() / 1e6, ctx.config.api.ready_max_rss_mb
    return Check(name="memory", ok=rss <= limit, detail=f"{rss:.0f} MB resident (limit {limit} MB)")


def readiness(ctx: ServiceContext, *, now: datetime | None = None) -> Readiness:
    """Run every readiness check (``now``: the wall clock, for the sessions and tick ages)."""
    when = now or datetime.now(UTC)
    db = _database(ctx)
    checks = [db]
    run: RunInfo | None = None
    counters: dict[str, Any] = {}
    if db.ok:
        try:
            run, counters = latest_run(ctx)
        except Exception as exc:  # the server answers but the store has no schema (never migrated) or an old one
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            db = checks[0] = Check(name="database", ok=False, detail=redact(
                f"{db.detail}, but reading the engine runs failed ({reason}): run `theo db upgrade`"))
    checks.append(_broker(run, counters))
    if db.ok:
        checks.extend(_freshness(ctx, run, counters, when))
    checks.append(disk_check(ctx, ctx.config.api.ready_min_free_mb * 1_000_000, 0.0))
    checks.append(_memory(ctx))
    return Readiness(ready=all(c.ok for c in checks), checks=checks)
