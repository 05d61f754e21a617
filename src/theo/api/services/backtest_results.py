"""What a completed dashboard backtest produced: its equity curve, its deals (the rows of the ``deals.csv`` that
``theo backtest`` writes, in the shape of ``GET /deals``) and a side-by-side comparison of two runs' metrics."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from theo.api.services.backtest_models import Column, Comparison, DealsPage, EquityCurveBody, MetricRow
from theo.api.services.backtests import finished
from theo.api.services.context import Actor, Role, ServiceContext
from theo.api.services.errors import Conflict

#: The metrics compared, in the order of ``theo backtest``'s summary, with their labels.
METRICS = (("final_equity", "Final equity (USD)"), ("total_return", "Total return"),
           ("annual_return", "Annual return"), ("sharpe", "Sharpe"), ("sortino", "Sortino"),
           ("max_drawdown", "Max drawdown"), ("max_drawdown_duration_days", "Max drawdown duration (days)"),
           ("calmar", "Calmar"), ("trades", "Trades"), ("win_rate", "Win rate"), ("profit_factor", "Profit factor"),
           ("expectancy", "Expectancy (USD)"), ("charges", "Charges (USD)"), ("exposure", "Exposure"),
           ("signals", "Signals"), ("orders", "Orders"), ("fills", "Fills"), ("items", "Data items"))
LABELS = {"trade_id": "Trade", "ss_type": "SS type", "ss_signal_type": "Signal type", "pnl": "P&L",
          "net_pnl": "Net P&L", "net_pnl_pct": "Net P&L %", "entry_qty": "Entry qty", "exit_qty": "Exit qty"}


def _label(key: str) -> str:
    return LABELS.get(key, key.replace("_", " ").capitalize())


def _file(folder: str, name: str) -> Path:
    path = Path(folder) / name
    if not path.is_file():
        raise Conflict(f"{path} is missing: the backtest's output folder was moved or deleted")
    return path


def equity(ctx: ServiceContext, actor: Actor, run_id: int) -> EquityCurveBody:
    actor.require(Role.VIEWER, "reading backtests")
    run = finished(ctx, run_id)
    return EquityCurveBody.model_validate(json.loads(_file(run.out_dir, "equity.json").read_text(encoding="utf-8")))


def _summary(rows: list[dict[str, str]]) -> dict[str, Any]:
    def total(key: str) -> str:
        return f"{sum((Decimal(r[key]) for r in rows if r.get(key)), Decimal(0)):.2f}"

    net = [Decimal(r["net_pnl"]) for r in rows if r.get("net_pnl")]
    return {"deals": len(rows), "pnl": total("pnl"), "charges": total("charges"), "net_pnl": total("net_pnl"),
            "wins": sum(1 for v in net if v > 0), "losses": sum(1 for v in net if v < 0),
            "open": sum(1 for r in rows if r.get("status") != "Completed")}


def deals(ctx: ServiceContext, actor: Actor, run_id: int, limit: int = 100, offset: int = 0) -> DealsPage:
    """The run's deals: the rows of its ``deals.csv`` (summary over all of them, items paged)."""
    actor.require(Role.VIEWER, "reading backtests")
    run = finished(ctx, run_id)
    with _file(run.out_dir, "deals.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        keys = list(reader.fieldnames or [])
        rows = list(reader)
    return DealsPage(columns=[Column(key=k, label=_label(k)) for k in keys], items=rows[offset:offset + limit],
                     total=len(rows), summary=_summary(rows))


def compare(ctx: ServiceContext, actor: Actor, a: int, b: int) -> Comparison:
    """The metrics of runs ``a`` and ``b`` side by side (both must have completed)."""
    from theo.api.services.backtest_models import item_of

    actor.require(Role.VIEWER, "reading backtests")
    ra, rb = finished(ctx, a), finished(ctx, b)
    ma, mb = ra.metrics or {}, rb.metrics or {}
    return Comparison(a=item_of(ra), b=item_of(rb),
                      metrics=[MetricRow(key=k, label=label, a=ma.get(k), b=mb.get(k)) for k, label in METRICS])
