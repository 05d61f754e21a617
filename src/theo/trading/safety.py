"""The trade manager's safety functions: kill switch, circuit breakers (RM-Max-sp), protection check, daily P&L."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from theo.core.calendar import et_date
from theo.execution import ids
from theo.model.enums import OrderType, Side, TimeInForce
from theo.model.ledger import account_pnl, by_strategy
from theo.model.orders import OrderRequest, OrderTag
from theo.model.trades import ExitReason, Trade, TradeStatus
from theo.risk.state import CIRCUIT_BREAKER, State

if TYPE_CHECKING:
    from theo.trading.manager import TradeManager

log = logging.getLogger(__name__)
_ORDER = [State.ACTIVE, State.REDUCING, State.HALTED]


def kill(mgr: TradeManager, *, flatten: bool, reason: str, actor: str) -> int:
    """Cancel working orders that could add exposure, optionally flatten every position, then HALT.

    Protective orders (stops and targets of running trades) stay at the broker unless the account is
    flattened: a killed account is never left holding a position without its stop.
    """
    mgr.state.reduce(f"kill switch: {reason}", actor)
    cancelled = 0
    for order in mgr.orders.open_orders():
        if order.request.reduce_only:
            continue
        mgr.orders.cancel_order(order.client_order_id, source="user", actor=actor, reason="kill switch")
        cancelled += 1
    if flatten:
        mgr.close_all(ExitReason.KILL_SWITCH, actor=actor)
        for sym, qty in mgr.portfolio.positions().items():
            closing = Side.SELL if qty > 0 else Side.BUY
            rest = qty + closing.sign * mgr.portfolio.working(sym, closing)  # what working exits leave open
            if rest != 0:  # a position no trade owns (manual orders)
                mgr.orders.create_order(OrderRequest(sym, Side.SELL if rest > 0 else Side.BUY, abs(rest),
                                                     OrderType.MARKET, reduce_only=True, tag=OrderTag.KILL_SWITCH),
                                        source="user", actor=actor)
    mgr.state.halt(f"kill switch: {reason}", actor)
    return cancelled


def ensure_protected(mgr: TradeManager, t: Trade) -> bool:
    """Re-place the protective stop of a running trade that lost it; ``True`` when one was sent.

    The broker holds the stop from the entry's fill on; this finds the rare trade whose stop was cancelled or
    rejected outside our control (the sweep calls it, every ``sweep_seconds``). HALTED sends nothing.
    """
    if t.status is not TradeStatus.RUNNING or t.pending_exit is not None or t.pending_reason is not None \
            or mgr.is_protected(t) or mgr.state.state is State.HALTED:
        return False
    assert t.stop is not None
    n = sum(1 for cid in t.protective if cid.startswith(f"{t.entry_order_id}-sl"))
    cid = ids.child(t.entry_order_id, f"sl{n + 1}")
    log.error("trade %s on %s has no working stop: re-placing it at %s (%s)", t.id, t.symbol, t.stop, cid)
    req = OrderRequest(t.symbol, t.side.opposite, t.open_qty, OrderType.STOP, stop_price=t.stop,
                       tif=TimeInForce.GTC, strategy=t.strategy, reduce_only=True, tag=OrderTag.STOP_LOSS)
    mgr.add_protection(t, cid, ExitReason.STOP_LOSS)
    order = mgr.orders.create_order(req, client_order_id=cid)
    t.comments.append(f"protective stop re-placed ({order.status.value})")
    mgr.on_order(order)
    return True


def breakers(mgr: TradeManager, now: datetime) -> None:
    """RM-Max-sp (plan §5.5), the daily loss limit and consecutive losses move the trading state (never back)."""
    b = mgr.config.breakers
    if b.max_drawdown_pct is not None:
        dd = mgr.portfolio.drawdown_pct()
        if dd >= b.max_drawdown_pct:
            _escalate(mgr, b.drawdown_action, f"RM-Max-sp: drawdown {dd:.2f}% reached max_drawdown_pct="
                                              f"{b.max_drawdown_pct}%")
    lim = mgr.checks.limits("")
    day = et_date(now)
    caps = [c for c in (lim.daily_loss_limit, None if lim.daily_loss_limit_pct is None else
                        mgr.portfolio.start_of_day_equity(day) * lim.daily_loss_limit_pct / 100) if c]
    if caps:
        pnl = mgr.portfolio.day_pnl(day)
        if pnl <= -min(caps):
            _escalate(mgr, b.daily_loss_action, f"daily loss {pnl:.2f} USD reached the limit {min(caps):.2f} USD")
    if b.max_consecutive_losses is not None and mgr.losses_in_row >= b.max_consecutive_losses:
        _escalate(mgr, b.consecutive_losses_action, f"{mgr.losses_in_row} losing trades in a row")


def _escalate(mgr: TradeManager, action: str, reason: str) -> None:
    to = State.HALTED if action == "halted" else State.REDUCING
    if _ORDER.index(to) > _ORDER.index(mgr.state.state):
        mgr.state.set(to, reason, CIRCUIT_BREAKER)


def save_daily(mgr: TradeManager, now: datetime) -> None:
    """Upsert today's ``pnl_daily`` rows: per strategy and for the account."""
    if mgr.store is None:
        return
    day = et_date(now)
    marks = mgr.portfolio.marks()
    today = mgr.trades_of_day(day)
    rows = [(s, p, sum(1 for t in today if t.strategy == s)) for s, p in by_strategy(today, marks).items()]
    rows.append(("", account_pnl(today, marks), len(today)))
    mgr.store.save_daily(mgr.account, day, rows, mgr.portfolio.equity(), now)
