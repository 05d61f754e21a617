"""The output folder of a backtest: metrics.json, deals.csv, orders.csv, signals.csv and the charts.

Everything is written in a fixed order with fixed number formats, so the same inputs and config give
byte-identical files.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from theo.engine.backtest import BacktestResult
from theo.engine.records import OrderRecord, SignalRecord, TradeRecord
from theo.reports.metrics import EquityCurve, compute_metrics, equity_curve

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


def _iso(ts: object) -> str:
    return ts.isoformat() if ts is not None else ""  # type: ignore[attr-defined]


def _dec(v: Decimal | None) -> str:
    return "" if v is None else f"{v:.2f}" if abs(v.as_tuple().exponent) <= 2 else f"{v.normalize()}"  # type: ignore[arg-type]


def deals_rows(trades: Sequence[TradeRecord], last_close: dict[str, float]) -> list[dict[str, str]]:
    """The deals report (plan §7): one row per trade, open trades marked to the last close."""
    rows = []
    for t in sorted(trades, key=lambda t: (t.entry_ts, t.id)):
        mark = None if t.closed else Decimal(str(last_close.get(t.symbol, float(t.entry_price))))
        gross = t.gross_pnl(mark)
        net = gross - t.charges
        cost = t.entry_price * t.quantity
        rows.append({
            "strategy": t.strategy, "signal_type": "Long" if t.side.sign > 0 else "Short", "symbol": t.symbol,
            "entry_qty": str(t.quantity), "exit_qty": str(t.quantity) if t.closed else "0",
            "entry_price": f"{t.entry_price:.2f}", "exit_price": f"{t.exit_price:.2f}" if t.exit_price else "",
            "pnl": f"{gross:.2f}", "charges": f"{t.charges:.2f}", "net_pnl": f"{net:.2f}",
            "net_pnl_pct": f"{(net / cost * 100):.3f}" if cost else "0",
            "entry_date": _iso(t.entry_ts), "exit_date": _iso(t.exit_ts),
            "status": "Completed" if t.closed else "Running",
            "comments": t.exit_reason if t.closed else f"open; marked at {mark}",
            "entry_reason": t.signal_reason,
        })
    return rows


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


DEAL_FIELDS = ("strategy", "signal_type", "symbol", "entry_qty", "exit_qty", "entry_price", "exit_price", "pnl",
               "charges", "net_pnl", "net_pnl_pct", "entry_date", "exit_date", "status", "comments", "entry_reason")
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
    _write_csv(folder / "deals.csv", deals_rows(result.journal.trades, last_close), DEAL_FIELDS)
    _write_csv(folder / "orders.csv", _orders_rows(result.journal.orders), ORDER_FIELDS)
    _write_csv(folder / "signals.csv", _signals_rows(result.journal.all_signals()), SIGNAL_FIELDS)
    if report.curve.ts_us.size:
        from theo.reports.charts import write_html, write_png  # matplotlib only when a chart is drawn

        write_png(report.curve, folder / "equity.png", title)
        write_html(report.curve, folder / "equity.html", title)
    return report
