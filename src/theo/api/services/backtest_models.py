"""Request and response bodies of the backtest endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from theo.persistence.repositories.backtests import BacktestRun


class BacktestStart(BaseModel):
    """A backtest of the configuration file's strategies; every field is optional."""

    name: str | None = Field(default=None, max_length=200)
    from_: str | None = Field(default=None, alias="from", description="first session date YYYY-MM-DD")
    to: str | None = Field(default=None, description="last session date YYYY-MM-DD")
    symbols: list[str] | None = Field(default=None, description="only the strategies trading these symbols")
    strategies: dict[str, dict[str, Any]] | None = Field(
        default=None, description="overrides by strategy name (or index): {name: {field: value}}")
    source: Literal["auto", "files", "database", "synthetic"] = "auto"
    timeframe: str = Field(default="1m", description="bars read from the database (source database)")

    model_config = {"populate_by_name": True}


class BacktestItem(BaseModel):
    id: int
    name: str
    status: Literal["queued", "running", "completed", "failed", "cancelled"]
    progress: float
    created_at: datetime
    created_by: str
    finished_at: datetime | None
    params: dict[str, Any]
    metrics: dict[str, Any] | None
    error: str


def item_of(run: BacktestRun) -> BacktestItem:
    return BacktestItem(id=run.id, name=run.name, status=run.status,  # type: ignore[arg-type]
                        progress=run.progress, created_at=run.created_at, created_by=run.created_by,
                        finished_at=run.finished_at, params=run.params, metrics=run.metrics, error=run.error)


class EquityPoint(BaseModel):
    t: int = Field(description="UTC epoch seconds")
    equity: str = Field(description="USD")
    drawdown: float = Field(description="from the running peak, a fraction <= 0")


class EquityCurveBody(BaseModel):
    points: list[EquityPoint]


class Column(BaseModel):
    key: str
    label: str


class DealsPage(BaseModel):
    """The shape of ``GET /deals``: the plan §7 columns, one row per trade, and totals."""

    columns: list[Column]
    items: list[dict[str, str]]
    total: int
    summary: dict[str, Any]


class MetricRow(BaseModel):
    key: str
    label: str
    a: float | int | str | None
    b: float | int | str | None


class Comparison(BaseModel):
    a: BacktestItem
    b: BacktestItem
    metrics: list[MetricRow]
