"""The output folder of a backtest: metrics.json, deals.csv, orders.csv, fills.csv, signals.csv and the charts.

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

from theo.analysis.metrics import EquityCurve, compute_metrics, equity_curve
from theo.core.time import EPOCH
from theo.model.events import Execution
from theo.model.orders import Order
from theo.model.signals import SignalOutcome
from theo.model.trades import Trade
from theo.node.backtest import BacktestResult

FILES = ("metrics.json", "deals.csv", "orders.csv", "fills.csv", "signals.csv", "equity.png", "equity.html")


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


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def deals_csv(trades: Sequence[Trade], last_close: Mapping[str, float]) -> str:
    """The deals report (plan §7) through ``theo.analysis.deals``; open trades marked to the last close."""
    from theo.analysis.deals import build_deals, render_deals

    rows = sorted((t for t in trades if t.entry_qty > 0), key=lambda t: (t.entry_ts or EPOCH, t.id or 0))
    marks = {s: Decimal(repr(v)) for s, v in last_close.items()}
    return render_deals(build_deals(rows, marks), "csv")


def _orders_rows(orders: Sequence[Order]) -> list[dict[str, str]]:
    out = []
    for o in orders:
        req = o.request
        fills = o.fills
        out.append({"id": o.client_order_id, "strategy": req.strategy, "symbol": req.symbol, "side": req.side.value,
                    "quantity": str(req.quantity), "type": req.order_type.value, "limit_price": _money(req.limit_price),
                    "stop_price": _money(req.stop_price), "purpose": req.tag.value or "manual",
                    "parent": o.parent_id or "", "created": _iso(o.created_at), "status": o.status.value,
                    "filled_qty": str(o.filled_qty), "filled": _iso(fills[-1].ts if fills else None),
                    "fill_price": _money(o.avg_fill_price),
                    "charges": f"{sum((f.charges.total for f in fills), Decimal(0)):.2f}", "reason": o.reason})
    return out


def _fills_rows(fills: Sequence[Execution]) -> list[dict[str, str]]:
    return [{"exec_id": ex.exec_id, "order": ex.client_order_id, "symbol": ex.symbol, "side": ex.side.value,
             "quantity": str(ex.quantity), "price": str(ex.price), "ts": _iso(ex.ts),
             "charges": f"{ex.charges.total:.2f}"} for ex in fills]


def _signals_rows(signals: Sequence[SignalOutcome]) -> list[dict[str, str]]:
    out = []
    for r in signals:
        s = r.signal
        out.append({"ts": _iso(s.ts), "strategy": s.strategy, "symbol": s.symbol, "side": s.side.value,
                    "exit": "1" if s.exit else "0", "price": f"{s.price:.4f}",
                    "stop_loss": "" if s.stop_loss is None else f"{s.stop_loss:.4f}",
                    "take_profit": "" if s.take_profit is None else f"{s.take_profit:.4f}",
                    "status": r.status.value, "note": r.note, "reason": s.reason,
                    "inputs": json.dumps({k: (round(v, 6) if isinstance(v, float) else v)
                                          for k, v in sorted(s.inputs.items())}, separators=(",", ":"))})
    return out


def _write_csv(path: Path, rows: list[dict[str, str]], header: Sequence[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(header), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


ORDER_FIELDS = ("id", "strategy", "symbol", "side", "quantity", "type", "limit_price", "stop_price", "purpose",
                "parent", "created", "status", "filled_qty", "filled", "fill_price", "charges", "reason")
FILL_FIELDS = ("exec_id", "order", "symbol", "side", "quantity", "price", "ts", "charges")
SIGNAL_FIELDS = ("ts", "strategy", "symbol", "side", "exit", "price", "stop_loss", "take_profit", "status", "note",
                 "reason", "inputs")


def build_report(result: BacktestResult) -> Report:
    fills = result.fills()
    curve = equity_curve(result.config.market.capital, result.data.series, fills)
    metrics = compute_metrics(result.config.market.capital, curve, result.trades(), fills)
    metrics["path"] = result.path
    metrics["items"] = result.data.items
    metrics["items_visited"] = result.visited
    metrics["items_tradable"] = result.tradable
    metrics["signals"] = result.signal_count
    metrics["orders"] = len(result.journal.orders)
    metrics["fills"] = len(fills)
    metrics["adjustment"] = result.data.mode.value  # how the prices the run traded on were adjusted
    return Report(metrics, curve)


def write_outputs(result: BacktestResult, folder: Path, title: str = "Theo backtest") -> Report:
    """Write every output file into ``folder`` (created if needed) and return the report."""
    folder.mkdir(parents=True, exist_ok=True)
    report = build_report(result)
    report.folder = folder
    payload = {k: _num(v) for k, v in sorted(report.metrics.items())}
    (folder / "metrics.json").write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    last_close = {s: float(v.close[-1]) for s, v in result.data.series.items() if len(v)}
    (folder / "deals.csv").write_text(deals_csv(result.trades(), last_close), encoding="utf-8")
    _write_csv(folder / "orders.csv", _orders_rows(result.orders()), ORDER_FIELDS)
    _write_csv(folder / "fills.csv", _fills_rows(result.fills()), FILL_FIELDS)
    _write_csv(folder / "signals.csv", _signals_rows(result.signals()), SIGNAL_FIELDS)
    if report.curve.ts_us.size:
        from theo.analysis.charts import write_html, write_png  # matplotlib only when a chart is drawn

        write_png(report.curve, folder / "equity.png", title)
        write_html(report.curve, folder / "equity.html", title)
    write_price_charts(result, folder)
    return report


def write_price_charts(result: BacktestResult, folder: Path) -> list[Path]:
    """``price_<SYMBOL>.png`` for each traded symbol (see ``theo.analysis.price_chart``)."""
    trades = result.trades()
    from theo.analysis.price_chart import traded_symbols

    symbols = [s for s in traded_symbols(trades) if len(result.data.series.get(s, ()))]
    if not symbols:
        return []
    from theo.analysis.charts import save_png
    from theo.analysis.price_chart import price_figure

    fills = result.fills()
    paths = []
    for symbol in symbols:
        path = folder / f"price_{symbol}.png"
        save_png(price_figure(result.data.series[symbol], trades, fills), path)
        paths.append(path)
    return paths
