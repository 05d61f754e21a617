"""The deals report (plan §7): one row per trade with every column the plan lists, charges included.

Columns: strategy, ss_type, ss_signal_type, symbol, entry/exit quantity and price, P&L (gross), charges, net
P&L, net P&L % (of the entry value), entry/exit date (ET), status (Running | Completed | Waiting) and the
comment saying how the trade closed. When the fills are given, the charge columns of market-rules.md §7.5
follow (commission ... other_fee, total_charges, charges_source, fee_schedule_version).
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal, Protocol

from theo.core.calendar import ET
from theo.model.events import Charges, Execution
from theo.model.money import ZERO
from theo.model.trades import Trade, TradeStatus

Format = Literal["csv", "json", "html"]
CENT = Decimal("0.01")
COLUMNS = ("trade_id", "strategy", "ss_type", "ss_signal_type", "symbol", "entry_qty", "exit_qty", "entry_price",
           "exit_price", "pnl", "charges", "net_pnl", "net_pnl_pct", "entry_date", "exit_date", "status", "comment")
CHARGE_COLUMNS = (*Charges.FIELDS, "total_charges", "charges_source", "fee_schedule_version")
STATUS_WORDS = {TradeStatus.RUNNING: "Running", TradeStatus.CLOSED: "Completed", TradeStatus.WAITING: "Waiting"}


@dataclass(frozen=True, slots=True)
class Deal:
    """One row of the deals report; money in Decimal USD."""

    trade_id: int | None
    strategy: str
    ss_type: str
    ss_signal_type: str
    symbol: str
    entry_qty: Decimal
    exit_qty: Decimal
    entry_price: Decimal | None
    exit_price: Decimal | None
    pnl: Decimal
    charges: Decimal
    net_pnl: Decimal
    net_pnl_pct: Decimal | None
    entry_date: datetime | None
    exit_date: datetime | None
    status: str
    comment: str
    charge_detail: Mapping[str, str] = field(default_factory=dict)


def _charge_detail(fills: Sequence[Execution]) -> dict[str, str]:
    totals = {f: ZERO for f in Charges.FIELDS}
    sources, versions = set(), set()
    for ex in fills:
        for f in Charges.FIELDS:
            totals[f] += getattr(ex.charges, f)
        sources.add(ex.charges.source)
        if ex.charges.schedule_version:
            versions.add(ex.charges.schedule_version)
    out = {f: _money(v) for f, v in totals.items()}
    out["total_charges"] = _money(sum(totals.values(), ZERO))
    out["charges_source"] = "/".join(sorted(sources))
    out["fee_schedule_version"] = "/".join(sorted(versions))
    return out


def build_deals(trades: Iterable[Trade], marks: Mapping[str, Decimal] | None = None,
                fills: Mapping[str, Sequence[Execution]] | None = None, *,
                include_unfilled: bool = False) -> list[Deal]:
    """Deals from trades (oldest entry first); open trades are marked at ``marks`` when given.

    ``fills`` maps client order ids to their executions and adds the §7.5 charge columns.
    """
    marks = marks or {}
    out = []
    for t in sorted(trades, key=lambda t: (t.entry_ts or t.created_at or datetime.min.replace(tzinfo=ET),
                                           t.id or 0)):
        if t.entry_qty == 0 and not include_unfilled:
            continue
        gross = t.realised + t.unrealised(marks.get(t.symbol))
        net = gross - t.charges
        cost = (t.entry_price or ZERO) * t.entry_qty * t.multiplier
        detail: dict[str, str] = {}
        if fills is not None:
            execs = [ex for cid in (t.entry_order_id, *t.exit_orders) for ex in fills.get(cid, ())]
            detail = _charge_detail(execs)
        out.append(Deal(trade_id=t.id, strategy=t.strategy, ss_type=t.ss_type,
                        ss_signal_type="Long" if t.side.sign > 0 else "Short", symbol=t.symbol,
                        entry_qty=t.entry_qty, exit_qty=t.exit_qty, entry_price=t.entry_price,
                        exit_price=t.exit_price, pnl=gross, charges=t.charges, net_pnl=net,
                        net_pnl_pct=net / cost * 100 if cost else None, entry_date=t.entry_ts, exit_date=t.exit_ts,
                        status=STATUS_WORDS[t.status], comment=t.comment, charge_detail=detail))
    return out


class LastCloses(Protocol):
    """Stored bars, asked for a symbol's newest close."""

    def last_close(self, symbol: str, since: datetime | None = None) -> float | None: ...


def last_close_marks(bars: LastCloses, running: Iterable[Trade]) -> dict[str, Decimal]:
    """Marks for running trades: the newest stored bar close of their symbol, never a bar older than the trade
    (imported history of the same symbol says nothing about a position opened later)."""
    entered: dict[str, datetime] = {}
    for t in running:
        if t.is_open and t.entry_ts is not None:
            entered[t.symbol] = min(t.entry_ts, entered.get(t.symbol, t.entry_ts))
    out: dict[str, Decimal] = {}
    for sym in sorted(entered):
        close = bars.last_close(sym, since=entered[sym])
        if close is not None:
            out[sym] = Decimal(repr(close))
    return out


def _money(v: Decimal) -> str:
    return f"{v.quantize(CENT):f}"


def _price(v: Decimal | None) -> str:
    if v is None:
        return ""
    q = v.quantize(Decimal("0.0001")).normalize()
    return f"{q.quantize(CENT):f}" if q == q.quantize(CENT) else f"{q:f}"


def _qty(v: Decimal) -> str:
    return f"{v.normalize():f}" if v else "0"


def _date(v: datetime | None) -> str:
    return "" if v is None else v.astimezone(ET).isoformat(timespec="seconds")


def deal_row(d: Deal) -> dict[str, str]:
    """The deal as strings, in column order (fixed formats: the same deals give the same bytes)."""
    row = {"trade_id": "" if d.trade_id is None else str(d.trade_id), "strategy": d.strategy,
           "ss_type": d.ss_type, "ss_signal_type": d.ss_signal_type, "symbol": d.symbol,
           "entry_qty": _qty(d.entry_qty), "exit_qty": _qty(d.exit_qty), "entry_price": _price(d.entry_price),
           "exit_price": _price(d.exit_price), "pnl": _money(d.pnl), "charges": _money(d.charges),
           "net_pnl": _money(d.net_pnl),
           "net_pnl_pct": "" if d.net_pnl_pct is None else _money(d.net_pnl_pct),
           "entry_date": _date(d.entry_date), "exit_date": _date(d.exit_date), "status": d.status,
           "comment": d.comment}
    row.update(d.charge_detail)
    return row


def render_deals(deals: Sequence[Deal], fmt: Format = "csv") -> str:
    """The deals as CSV, JSON (a list of objects) or a standalone HTML page."""
    cols = list(COLUMNS) + (list(CHARGE_COLUMNS) if any(d.charge_detail for d in deals) else [])
    rows = [deal_row(d) for d in deals]
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        return buf.getvalue()
    if fmt == "json":
        return json.dumps([{c: r.get(c, "") for c in cols} for r in rows], indent=2) + "\n"
    if fmt == "html":
        return _html(cols, rows, deals)
    raise ValueError(f"unknown format {fmt!r}; use csv, json or html")


# Fits a 1366-pixel screen: the page is capped at that width, the table takes the page's width with a small font
# and wrapping comments, and only a very narrow window scrolls the table sideways (inside its own box).
DEALS_CSS = ("body{font-family:sans-serif;background:#111;color:#ddd;max-width:1366px;margin:0 auto;padding:8px;"
             "box-sizing:border-box}.wrap{max-width:100%;overflow-x:auto}"
             "table{border-collapse:collapse;width:100%;font-size:12px}"
             "td,th{border:1px solid #444;padding:2px 4px;text-align:right;white-space:nowrap}"
             "th{background:#222;position:sticky;top:0;white-space:normal}"
             "td.comment{white-space:normal;text-align:left;min-width:16em}")


def _html(cols: list[str], rows: list[dict[str, str]], deals: Sequence[Deal]) -> str:
    head = "".join(f"<th>{html.escape(c.replace('_', ' '))}</th>" for c in cols)
    cells = [f"<td class=\"{c}\">" if c == "comment" else "<td>" for c in cols]
    body = "\n".join("<tr>" + "".join(f"{td}{html.escape(r.get(c, ''))}</td>"
                                       for td, c in zip(cells, cols, strict=True)) + "</tr>" for r in rows)
    net = sum((d.net_pnl for d in deals), ZERO)
    charges = sum((d.charges for d in deals), ZERO)
    gross = sum((d.pnl for d in deals), ZERO)
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Theo deals report</title>\n"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<style>{DEALS_CSS}</style>"
            "</head><body>\n<h1>Deals</h1>\n"
            f"<p>{len(deals)} deals; P&amp;L {_money(gross)} USD, charges {_money(charges)} USD, "
            f"net P&amp;L {_money(net)} USD</p>\n"
            f"<div class=\"wrap\"><table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table></div>\n"
            "</body></html>\n")
