"""The compact live status of ``theo run`` (prices, open trades, P&L, signals) and ``theo status``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from rich.console import Group
from rich.table import Table
from rich.text import Text

from theo.core.time import exchange_time
from theo.execution.lock import pid_alive
from theo.model.enums import RunStatus
from theo.model.signals import SignalOutcome
from theo.model.trades import Trade
from theo.node.kernel import Node
from theo.node.paper import RunState
from theo.node.pnl import realized_pnl
from theo.persistence.repositories import Store


class ViewedRun(Protocol):
    """What the status view reads of a run (paper or IBKR)."""

    state: RunState
    feed_name: str
    node: Node

    def counters(self) -> dict[str, Any]: ...

    def recent_signals(self, n: int = 5) -> list[SignalOutcome]: ...


def live_view(run: ViewedRun) -> Group:
    """Render the running engine: header, prices, open trades, recent signals (and the IBKR link)."""
    st = run.state
    c = run.counters()
    clock = "time" if run.feed_name == "ibkr" else "sim time"
    text = (f"theo run #{st.run_id}  feed={run.feed_name}  {clock} {exchange_time(st.sim_now)}  items {st.items:,}  "
            f"signals {c['signals']}  orders {c['orders']}  trades {c['trades']}  "
            f"realized P&L {c['realized_pnl']} USD" + ("  (resumed)" if st.resumed_to else ""))
    link = c.get("ibkr")
    if isinstance(link, dict):
        text += (f"\nIBKR {link['link']} ({link['status']})  account {link['account'] or '-'}  "
                 f"reconnects {link['reconnects']}  alerts {c.get('alerts', 0)}"
                 + (f"  {link['error']}" if link.get("error") else ""))
    feeds = c.get("feeds")
    if isinstance(feeds, dict):
        text += ("\nfeeds  " + "  ".join(f"{sym} {src}" for sym, src in feeds["active"].items())
                 + f"  fail-overs {feeds['failovers']}  fail-backs {feeds['failbacks']}"
                 + (f"  NO FRESH FEED: {', '.join(feeds['unavailable'])}" if feeds["unavailable"] else ""))
    if c.get("splits_applied"):  # ex-dates this session crossed: its windows were put on the new basis
        text += "\nsplits applied  " + "  ".join(c["splits_applied"])
    head = Text(text)
    prices = Table(title="prices", show_edge=False)
    for sym in sorted(st.last_price):
        prices.add_column(sym, justify="right")
    prices.add_row(*[f"{st.last_price[s]:.2f}" for s in sorted(st.last_price)])
    trades = Table(title="open trades", show_edge=False)
    for col in ("strategy", "symbol", "side", "qty", "entry", "stop", "target", "unrealized"):
        trades.add_column(col, justify="right")
    for t in run.node.manager.trades(open_only=True):
        if t.entry_price is None:
            continue
        last = Decimal(repr(st.last_price.get(t.symbol, float(t.entry_price))))
        stop = "-" if t.stop is None else f"{t.stop:.2f}" + (f" trail {t.trailing_pct}%" if t.trailing_pct else "")
        trades.add_row(t.strategy, t.symbol, t.side.value, str(t.open_qty), f"{t.entry_price:.2f}", stop,
                       "-" if t.target is None else f"{t.target:.2f}", f"{t.unrealised(last):.2f}")
    recent = Table(title="last signals", show_edge=False)
    for col in ("time (ET)", "strategy", "symbol", "side", "status", "reason"):
        recent.add_column(col)
    for r in run.recent_signals(5):
        s = r.signal
        recent.add_row(exchange_time(s.ts), s.strategy, s.symbol, ("exit " if s.exit else "") + s.side.value,
                       r.status.value, (r.note or s.reason)[:40])
    return Group(head, prices, trades, recent)


def status_fields(run: ViewedRun) -> dict[str, Any]:
    """Structured-log form of the status (when stdout is not a terminal)."""
    c = run.counters()
    # histograms (journal write time, tick latency) go to /metrics; a log line a second carries no bucket lists
    return {"run": run.state.run_id, **{k: v for k, v in c.items() if not (isinstance(v, dict) and "buckets" in v)}}


def _trade_json(t: Trade) -> dict[str, Any]:
    return {"id": t.id, "strategy": t.strategy, "symbol": t.symbol, "side": t.side.value,
            "quantity": str(t.open_qty), "entry_price": None if t.entry_price is None else str(t.entry_price),
            "entry_ts": t.entry_ts.isoformat() if t.entry_ts else None,
            "stop": None if t.stop is None else str(t.stop), "target": None if t.target is None else str(t.target),
            "status": t.status.value}


def describe(db: Store, run_id: int | None = None) -> dict[str, Any] | None:
    """State of a running or stopped run from the database (latest run by default)."""
    from theo.persistence.repositories.runs import SqlRunStore
    from theo.persistence.repositories.trades import SqlTradeStore

    runs = SqlRunStore(db)
    row = runs.latest(run_id)
    if row is None:
        return None
    state = row["state"]
    lineage = state.get("lineage", row["id"])
    trades = SqlTradeStore(db).load_trades()
    status = row["status"]
    if status == RunStatus.RUNNING:
        stale = datetime.now(UTC) - row["heartbeat"] > timedelta(seconds=60)
        if not pid_alive(row["pid"]) or stale:
            status = "crashed (no heartbeat; `theo run` resumes it)"
    open_trades = [_trade_json(t) for t in trades if t.is_open]
    closed = [t for t in trades if not t.is_open]
    return {"run": row["id"], "lineage": lineage, "mode": row["mode"], "feed": row["feed"], "status": status,
            "pid": row["pid"], "started": row["started"].isoformat(),
            "stopped": row["stopped"].isoformat() if row["stopped"] else None,
            "heartbeat": row["heartbeat"].isoformat(), "counters": row["counters"],
            "open_trades": open_trades, "closed_trades": len(closed), "realized_pnl": str(realized_pnl(closed)),
            "working_orders": state.get("working_orders", []),
            "last_signals": runs.journal("signal", lineage, limit=5)}
