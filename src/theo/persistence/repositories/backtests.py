"""Backtests started from the dashboard: rows of ``backtest_runs`` (parameters, progress, metrics, output folder)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select, update

from theo.persistence.db import transaction
from theo.persistence.models.web import BacktestRunRow

#: Statuses of a backtest that has not ended.
ACTIVE = ("queued", "running")


@dataclass(frozen=True)
class BacktestRun:
    id: int
    created_at: datetime
    created_by: str
    name: str
    status: str
    progress: float
    params: dict[str, Any]
    metrics: dict[str, Any] | None
    out_dir: str
    error: str
    finished_at: datetime | None


def _run(r: BacktestRunRow) -> BacktestRun:
    return BacktestRun(int(r.id), r.created_at, r.created_by, r.name, r.status, float(r.progress),
                       dict(r.params or {}), None if r.metrics is None else dict(r.metrics), r.out_dir, r.error or "",
                       r.finished_at)


class BacktestRunRepository:
    """Rows of ``backtest_runs``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, now: datetime, created_by: str, name: str, params: dict[str, Any]) -> int:
        """A new ``queued`` run; return its id."""
        with transaction(self.engine) as s:
            row = BacktestRunRow(created_at=now, created_by=created_by, name=name, status="queued", progress=0.0,
                                 params=params, metrics=None, out_dir="", error="", finished_at=None)
            s.add(row)
            s.flush()
            return int(row.id)

    def update(self, run_id: int, **values: Any) -> None:
        """Set columns of run ``run_id`` (status, progress, metrics, out_dir, error, finished_at)."""
        with transaction(self.engine) as s:
            s.execute(update(BacktestRunRow).where(BacktestRunRow.id == run_id).values(**values))

    def get(self, run_id: int) -> BacktestRun | None:
        with transaction(self.engine) as s:
            row = s.get(BacktestRunRow, run_id)
            return None if row is None else _run(row)

    def page(self, limit: int, offset: int) -> tuple[list[BacktestRun], int]:
        """Runs newest first, and how many there are."""
        with transaction(self.engine) as s:
            total = int(s.scalar(select(func.count()).select_from(BacktestRunRow)) or 0)
            rows = s.scalars(select(BacktestRunRow).order_by(BacktestRunRow.id.desc()).limit(limit).offset(offset))
            return [_run(r) for r in rows], total

    def abandon_active(self, now: datetime, error: str, keep: set[int]) -> int:
        """Mark every queued or running run not in ``keep`` failed with ``error`` (their worker is gone)."""
        with transaction(self.engine) as s:
            q = (update(BacktestRunRow).where(BacktestRunRow.status.in_(ACTIVE))
                 .values(status="failed", error=error, finished_at=now))
            if keep:
                q = q.where(BacktestRunRow.id.not_in(keep))
            return int(s.execute(q).rowcount or 0)  # type: ignore[attr-defined]
