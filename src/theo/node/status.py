"""The compact live status of ``theo run`` (prices, open trades, P&L, signals) and ``theo status``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from sqlalchemy import Engine, select

from theo.execution.lock import pid_alive
from theo.node.paper import PaperRun
from theo.persistence.db import transaction
from theo.persistence.models.engine import EngineJournalRow, EngineRunRow


def live_view(run: PaperRun) -> Group:
    """Render the running engine: header, prices, open trades, recent signals."""
    st = run.state
    c = run.counters()
    head = Text(f"theo run #{st.run_id}  feed={run.feed_name}  sim time {st.sim_now or '-'}  items {st.items:,}  "
                f"signals {c['signals']}  orders {c['orders']}  trades {c['trades']}  "
                f"realized P&L {c['realized_pnl']} USD" + ("  (resumed)" if st.resumed_to else ""))
    prices = Table(title="prices", show_edge=False)
    for sym in sorted(st.last_price):
        prices.add_column(sym, justify="right")
    prices.add_row(*[f"{st.last_price[s]:.2f}" for s in sorted(st.last_price)])
    trades = Table(title="open trades", show_edge=False)
    for col in ("strategy", "symbol", "side", "qty", "entry", "stop", "unrealized"):
        trades.add_column(col, justify="right")
    for (_strategy, symbol), book in sorted(run.engine.books.items()):
        p = book.position
        if p is None:
            continue
        last = Decimal(str(st.last_price.get(symbol, float(p.entry_price))))
        stop = book.effective_stop()
        trades.add_row(p.strategy, symbol, p.side.value, str(p.quantity), f"{p.entry_price:.2f}",
                       "-" if stop is None else f"{stop:.2f}", f"{p.gross_pnl(last):.2f}")
    recent = Table(title="last signals", show_edge=False)
    for col in ("time", "strategy", "symbol", "side", "status", "reason"):
        recent.add_column(col)
    for r in run.journal.signals[-5:]:
        s = r.signal
        recent.add_row(s.ts.strftime("%m-%d %H:%M"), s.strategy, s.symbol, ("exit " if s.exit else "") + s.side.value,
                       r.status, s.reason[:40])
    return Group(head, prices, trades, recent)


def status_fields(run: PaperRun) -> dict[str, Any]:
    """Structured-log form of the status (when stdout is not a terminal)."""
    c = run.counters()
    return {"run": run.state.run_id, **c}


def describe(db: Engine, run_id: int | None = None) -> dict[str, Any] | None:
    """State of a running or stopped run from the database (latest run by default)."""
    with transaction(db) as s:
        q = select(EngineRunRow).order_by(EngineRunRow.id.desc()).limit(1)
        if run_id is not None:
            q = select(EngineRunRow).where(EngineRunRow.id == run_id)
        row = s.scalars(q).first()
        if row is None:
            return None
        state = json.loads(row.state or "{}")
        lineage = state.get("lineage", row.id)
        trades = [json.loads(p) for p in s.scalars(select(EngineJournalRow.payload).where(
            EngineJournalRow.kind == "trade", EngineJournalRow.key.like(f"{lineage}:%")))]
        status = row.status
        if status == "running":
            stale = datetime.now(UTC) - row.heartbeat > timedelta(seconds=60)
            if not pid_alive(row.pid) or stale:
                status = "crashed (no heartbeat; `theo run` resumes it)"
        open_trades = [t for t in trades if t.get("exit_price") is None]
        closed = [t for t in trades if t.get("exit_price") is not None]
        realized = sum((Decimal(t["exit_price"]) - Decimal(t["entry_price"])) * Decimal(t["quantity"]) *
                       (1 if t["side"] == "BUY" else -1) - Decimal(t["entry_charges"]) - Decimal(t["exit_charges"])
                       for t in closed)
        return {"run": row.id, "lineage": lineage, "mode": row.mode, "feed": row.feed, "status": status,
                "pid": row.pid, "started": row.started.isoformat(),
                "stopped": row.stopped.isoformat() if row.stopped else None,
                "heartbeat": row.heartbeat.isoformat(), "counters": json.loads(row.counters or "{}"),
                "open_trades": open_trades, "closed_trades": len(closed), "realized_pnl": f"{realized:.2f}",
                "working_orders": state.get("working_orders", [])}
