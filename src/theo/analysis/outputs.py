"""The output folder of a backtest: metrics.json, deals.csv, orders.csv, signals.csv and the charts.

Everything is written in a fixed order with fixed number formats, so the same inputs and config give
byte-identical files.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from theo.analysis.metrics import EquityCurve, compute_metrics, equity_curve
from theo.node.backtest import BacktestResult
from theo.node.records import OrderRecord, SignalRecord, TradeRecord

if TYPE_CHECKING:
    from theo.model.trades import ExitReason

FILES = ("metrics.json", "deals.csv", "orders.csv", "signals.csv", "equity.png", "equity.html")


@dataclass
class Report:
    metrics: dict[str, float | int | str]
    curve: EquityCurve
    folder: Path | None = None


def _num(value: float | int | str) -> float | int | str:
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    return value


def _iso(ts: datetime | None) -> str:
    return ts.isoformat() if ts is not None else ""


_REASONS = {"stop-loss": "stop_loss", "take-profit": "profit_target", "trailing-stop": "trailing_stop",
            "exit-rule": "exit_rule"}


def _exit_reason(purpose: str) -> ExitReason:
    """The deals report's exit reason of an engine trade (``stop-loss``, ``time-exit``, ``exit-rule``...)."""
    from theo.model.trades import ExitReason

    try:
        return ExitReason(_REASONS.get(purpose, purpose.replace("-", "_")))
    except ValueError:
        return ExitReason.EXIT_RULE


def deals_csv(trades: Sequence[TradeRecord], last_close: Mapping[str, float], ss_types: Mapping[str, str]) -> str:
    """The deals report (plan §7) through ``theo.analysis.deals``; open trades marked to the last close."""
    from theo.analysis.deals import build_deals, render_deals
    from theo.model.trades import Trade

    rows = []
    for n, t in enumerate(sorted(trades, key=lambda t: (t.entry_ts, t.id)), 1):
        tr = Trade(strategy=t.strategy, symbol=t.symbol, side=t.side, planned_qty=t.quantity, entry_order_id=t.id,
                   ss_type=ss_types.get(t.strategy, ""), id=n)
        tr.add_entry_fill(t.quantity, t.entry_price, t.entry_charges, t.entry_ts)
        if t.exit_price is not None and t.exit_ts is not None:
            tr.add_exit_fill(t.quantity, t.exit_price, t.exit_charges, t.exit_ts)
            tr.close(_exit_reason(t.exit_reason), t.exit_ts)
        rows.append(tr)
    marks = {s: Decimal(str(v)) for s, v in last_close.items()}
    return render_deals(build_deals(rows, marks), "csv")


def _orders_rows(orders: Sequence[OrderRecord]) -> list[dict[str, str]]:
    out = []
    for o in sorted(orders, key=lambda o: (o.created, o.filled or o.created, o.id)):
        out.append({"id": o.id, "strategy": o.strategy, "symbol": o.symbol, "side": o.side.value,
                    "quantity": str(o.quantity), "purpose": o.purpose, "created": _iso(o.created),
                    "status": o.status.value, "filled": _iso(o.filled),
                    "fill_price": f"{o.fill_price:.2f}" if o.fill_price is not None else "",
                    "charges": f"{o.charges:.2f}", "reason": o.reason})
    return out


def _signals_rows(signals: Sequence[SignalRecord]) -> list[dict[str, str]]:
    out = []
    for r in signals:
        s = r.signal
        out.append({"ts": _iso(s.ts), "strategy": s.strategy, "symbol": s.symbol, "side": s.side.value,
                    "exit": "1" if s.exit else "0", "price": f"{s.price:.4f}",
                    "stop_loss": "" if s.stop_loss is None else f"{s.stop_loss:.4f}",
                    "take_profit": "" if s.take_profit is None else f"{s.take_profit:.4f}",
                    "status": r.status, "note": r.note, "reason": s.reason,
                    "inputs": json.dumps({k: (round(v, 6) if isinstance(v, float) else v)
                                          for k, v in sorted(s.inputs.items())}, separators=(",", ":"))})
    return out


def _write_csv(path: Path, rows: list[dict[str, str]], header: Sequence[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(header), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


ORDER_FIELDS = ("id", "strategy", "symbol", "side", "quantity", "purpose", "created", "status", "filled",
                "fill_price", "charges", "reason")
SIGNAL_FIELDS = ("ts", "strategy", "symbol", "side", "exit", "price", "stop_loss", "take_profit", "status", "note",
                 "reason", "inputs")


def build_report(result: BacktestResult) -> Report:
    j = result.journal
    curve = equity_curve(result.config.market.capital, result.data.series, j.orders)
    metrics = compute_metrics(result.config.market.capital, curve, j.trades, j.orders)
    metrics["path"] = result.path
    metrics["items"] = result.data.items
    metrics["signals"] = j.signal_count
    metrics["orders"] = len(j.orders)
    return Report(metrics, curve)


def write_outputs(result: BacktestResult, folder: Path, title: str = "Theo backtest") -> Report:
    """Write every output file into ``folder`` (created if needed) and return the report."""
    folder.mkdir(parents=True, exist_ok=True)
    report = build_report(result)
    report.folder = folder
    payload = {k: _num(v) for k, v in sorted(report.metrics.items())}
    (folder / "metrics.json").write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    last_close = {s: float(v.close[-1]) for s, v in result.data.series.items() if len(v)}
    ss_types = {c.name: c.type for c in result.config.strategies}
    (folder / "deals.csv").write_text(deals_csv(result.journal.trades, last_close, ss_types), encoding="utf-8")
    _write_csv(folder / "orders.csv", _orders_rows(result.journal.orders), ORDER_FIELDS)
    _write_csv(folder / "signals.csv", _signals_rows(result.journal.all_signals()), SIGNAL_FIELDS)
    if report.curve.ts_us.size:
        from theo.analysis.charts import write_html, write_png  # matplotlib only when a chart is drawn

        write_png(report.curve, folder / "equity.png", title)
        write_html(report.curve, folder / "equity.html", title)
    return report
