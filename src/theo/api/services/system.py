"""The system page: version, health checks, data freshness per symbol, and the log tail."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from theo import __version__
from theo.api.services.context import Actor, Role, ServiceContext
from theo.api.services.errors import Invalid
from theo.api.services.logtail import LogLine, read_log
from theo.api.services.runinfo import RunInfo, latest_run, stale_after
from theo.config.loader import redact

#: Free space below either of these fails the disk check.
MIN_FREE_BYTES = 1_000_000_000
MIN_FREE_FRACTION = 0.05
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str


class Check(BaseModel):
    name: str
    ok: bool
    detail: str


class Freshness(BaseModel):
    symbol: str
    last_tick: datetime | None
    age_seconds: float | None
    fresh: bool


class SystemView(BaseModel):
    version: str
    checks: list[Check]
    freshness: list[Freshness]
    run: RunInfo | None


class LogTail(BaseModel):
    file: str | None = Field(description="the log file read ([logging] file); None when none is configured")
    lines: list[LogLine]


def health() -> Health:
    """The unauthenticated liveness answer: the process serves requests."""
    return Health(version=__version__)


def log_path(ctx: ServiceContext) -> Path | None:
    """The JSON log file of ``[logging] file`` (relative to ``[app] data_dir``), or ``None``."""
    file = ctx.config.logging.file
    if file is None:
        return None
    return file if file.is_absolute() else ctx.config.app.data_dir / file


def database_check(ctx: ServiceContext) -> Check:
    from theo.persistence.repositories.monitoring import MonitoringRepository

    repo = MonitoringRepository(ctx.store)
    try:
        repo.ping()
    except Exception as exc:  # any failure is the finding
        return Check(name="database", ok=False, detail=redact(f"{repo.location}: {str(exc).splitlines()[0]}"))
    return Check(name="database", ok=True, detail=f"{repo.dialect} at {repo.location} answers")


def _heartbeat(ctx: ServiceContext, run: RunInfo | None) -> Check:
    if run is None:
        return Check(name="engine heartbeat", ok=False, detail="no engine run recorded yet; start one with theo run")
    age = (datetime.now(UTC) - run.heartbeat).total_seconds()
    if run.status == "running":
        return Check(name="engine heartbeat", ok=True, detail=f"run {run.id} running, heartbeat {age:.0f} s ago")
    if run.status == "stale":
        return Check(name="engine heartbeat", ok=False, detail=f"run {run.id} sent no heartbeat for {age:.0f} s "
                     f"(more than {stale_after(ctx).total_seconds():.0f} s): it is stuck or was killed")
    return Check(name="engine heartbeat", ok=False, detail=f"run {run.id} is {run.status}; no engine is running")


def disk_check(ctx: ServiceContext, min_free_bytes: int = MIN_FREE_BYTES,
               min_free_fraction: float = MIN_FREE_FRACTION) -> Check:
    """Free space where ``[app] data_dir`` lives (the working directory before it exists)."""
    where = ctx.config.app.data_dir
    probe = where if where.exists() else Path(".")
    usage = shutil.disk_usage(probe)
    ok = usage.free >= min_free_bytes and usage.free >= usage.total * min_free_fraction
    return Check(name="disk space", ok=ok, detail=f"{usage.free / 1e9:.1f} GB free of {usage.total / 1e9:.1f} GB "
                 f"at {probe}" + ("" if ok else f" (keep at least {min_free_bytes / 1e9:.1f} GB and "
                                                f"{min_free_fraction:.0%} free)"))


def _log_file(ctx: ServiceContext) -> Check:
    path = log_path(ctx)
    if path is None:
        return Check(name="log file", ok=True, detail="none configured ([logging] file); logs go to stderr only")
    if not path.exists():
        return Check(name="log file", ok=False, detail=f"{path} does not exist yet (nothing was logged to it)")
    age = datetime.now(UTC).timestamp() - path.stat().st_mtime
    size = path.stat().st_size / 1e6
    return Check(name="log file", ok=True, detail=f"{path}, {size:.1f} MB, written {age:.0f} s ago")


def freshness(ctx: ServiceContext, run: RunInfo | None, counters: dict[str, Any]) -> list[Freshness]:
    """Per traded symbol: when data for it was last seen (wall clock), and whether that is recent enough
    (``[marketdata.gate] stale_after_seconds``). Sources, best first: the embedded run's own record of each symbol,
    the newest stored tick, then (a paper run's simulated market) the run's heartbeat for the symbols it prices."""
    from theo.persistence.repositories.monitoring import MonitoringRepository

    symbols = sorted({*counters.get("last_price", {}), *(s.upper() for st in ctx.config.strategies
                                                          for s in st.symbols)})
    seen: dict[str, datetime] = {s: datetime.fromisoformat(t) for s, t in counters.get("last_seen", {}).items()}
    stored = MonitoringRepository(ctx.store).last_ticks([s for s in symbols if s not in seen])
    now, limit = datetime.now(UTC), ctx.config.marketdata.gate.stale_after_seconds
    out = []
    for s in symbols:
        last = seen.get(s) or stored.get(s)
        if last is None and run is not None and run.status == "running" and s in counters.get("last_price", {}):
            last = run.heartbeat
        age = (now - last).total_seconds() if last is not None else None
        out.append(Freshness(symbol=s, last_tick=last, age_seconds=None if age is None else round(age, 3),
                             fresh=age is not None and age <= limit))
    return out


def get_system(ctx: ServiceContext, actor: Actor) -> SystemView:
    actor.require(Role.VIEWER, "reading the system page")
    run, counters = latest_run(ctx)
    checks = [database_check(ctx), _heartbeat(ctx, run), disk_check(ctx), _log_file(ctx)]
    return SystemView(version=__version__, checks=checks, freshness=freshness(ctx, run, counters), run=run)


def get_logs(ctx: ServiceContext, actor: Actor, *, lines: int = 200, level: str | None = None) -> LogTail:
    """The last ``lines`` log entries at ``level`` or above, secrets redacted."""
    actor.require(Role.VIEWER, "reading the logs")
    if level is not None and level.upper() not in LEVELS:
        raise Invalid(f"level {level!r}: use one of {', '.join(LEVELS)}", field="level")
    path = log_path(ctx)
    if path is None or not path.is_file():
        return LogTail(file=None if path is None else str(path), lines=[])
    return LogTail(file=str(path), lines=read_log(path, lines, level))
