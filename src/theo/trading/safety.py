"""The trade manager's safety functions: kill switch, circuit breakers (RM-Max-sp), daily P&L record."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from theo.core.calendar import ET
from theo.model.enums import OrderType, Side
from theo.model.ledger import account_pnl, by_strategy
from theo.model.orders import OrderRequest
from theo.model.trades import ExitReason
from theo.risk.state import State

if TYPE_CHECKING:
    from theo.trading.manager import TradeManager

_ORDER = [State.ACTIVE, State.REDUCING, State.HALTED]


def kill(mgr: TradeManager, *, flatten: bool, reason: str, actor: str) -> int:
    """Cancel our working orders, optionally flatten every position (while REDUCING), then HALT."""
    mgr.state.reduce(f"kill switch: {reason}", actor)
    cancelled = 0
    for order in mgr.orders.open_orders():
        mgr.orders.cancel_order(order.client_order_id, source="user", actor=actor, reason="kill switch")
        cancelled += 1
    if flatten:
        mgr.close_all(ExitReason.KILL_SWITCH, actor=actor)
        for sym, qty in mgr.portfolio.positions().items():
            closing = Side.SELL if qty > 0 else Side.BUY
            rest = qty + closing.sign * mgr.portfolio.working(sym, closing)  # what working exits leave open
            if rest != 0:  # a position no trade owns (manual orders)
                mgr.orders.create_order(OrderRequest(sym, Side.SELL if rest > 0 else Side.BUY, abs(rest),
                                                     OrderType.MARKET, reduce_only=True, tag="kill_switch"),
                                        source="user", actor=actor)
    mgr.state.halt(f"kill switch: {reason}", actor)
    return cancelled


def breakers(mgr: TradeManager, now: datetime) -> None:
    """RM-Max-sp (plan §5.5), the daily loss limit and consecutive losses move the trading state (never back)."""
    b = mgr.config.breakers
    dd = mgr.portfolio.drawdown_pct()
    if b.max_drawdown_pct is not None and dd >= b.max_drawdown_pct:
        _escalate(mgr, b.drawdown_action, f"RM-Max-sp: drawdown {dd:.2f}% reached max_drawdown_pct="
                                          f"{b.max_drawdown_pct}%")
    lim = mgr.config.limits_for(account=mgr.account)
    day = now.astimezone(ET).date()
    pnl = mgr.portfolio.day_pnl(day)
    caps = [c for c in (lim.daily_loss_limit, None if lim.daily_loss_limit_pct is None else
                        mgr.portfolio.start_of_day_equity(day) * lim.daily_loss_limit_pct / 100) if c]
    if caps and pnl <= -min(caps):
        _escalate(mgr, b.daily_loss_action, f"daily loss {pnl:.2f} USD reached the limit {min(caps):.2f} USD")
    if b.max_consecutive_losses is not None and mgr.losses_in_row >= b.max_consecutive_losses:
        _escalate(mgr, b.consecutive_losses_action, f"{mgr.losses_in_row} losing trades in a row")


def _escalate(mgr: TradeManager, action: str, reason: str) -> None:
    to = State.HALTED if action == "halted" else State.REDUCING
    if _ORDER.index(to) > _ORDER.index(mgr.state.state):
        mgr.state.set(to, reason, "circuit_breaker")


def save_daily(mgr: TradeManager, now: datetime) -> None:
    """Upsert today's ``pnl_daily`` rows: per strategy and for the account."""
    if mgr.store is None:
        return
    day = now.astimezone(ET).date()
    marks = mgr.portfolio.marks()
    today = mgr.trades_of_day(day)
    rows = [(s, p, sum(1 for t in today if t.strategy == s)) for s, p in by_strategy(today, marks).items()]
    rows.append(("", account_pnl(today, marks), len(today)))
    mgr.store.save_daily(mgr.account, day, rows, mgr.portfolio.equity(), now)
