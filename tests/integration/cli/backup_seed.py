"""A store with orders, fills, trades, trading state and settings written through the real repositories, and a
snapshot of all of it as domain objects (for the backup/restore tests)."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from tests.integration.api.seed import trade
from theo.config.market import MarketConfig
from theo.model.enums import OrderStatus, OrderType, Side
from theo.model.events import Charges, Execution
from theo.model.ledger import Position
from theo.model.orders import Order, OrderRequest
from theo.model.trades import Trade
from theo.persistence.repositories import Repositories
from theo.persistence.repositories.orders import SqlOrderJournal
from theo.persistence.repositories.trades import SqlTradeStore
from theo.risk.state import State, StateChange

D = Decimal
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
MARKET = MarketConfig(capital=D("123456.78"))


def seed(store: Engine) -> None:
    """Two orders (one filled twice), two trades (one closed), a halt and the universal settings."""
    journal = SqlOrderJournal(store, broker="sim")
    buy = Order("bk-1", OrderRequest("SPY", Side.BUY, D(100), OrderType.LIMIT, limit_price=D("501.25")),
                status=OrderStatus.ACCEPTED, created_at=T0, updated_at=T0)
    rest = Order("bk-2", OrderRequest("QQQ", Side.SELL, D(7), OrderType.LIMIT, limit_price=D("430.5")),
                 created_at=T0, updated_at=T0)
    journal.record_intents([buy, rest], T0)
    for n, (qty, price) in enumerate((("60", "501.20"), ("40", "501.25")), 1):
        ex = Execution(f"E{n}", "bk-1", "SPY", Side.BUY, D(qty), D(price), T0 + timedelta(seconds=n),
                       Charges(commission=D("0.35"), cat_fee=D("0.0012"), schedule_version="v1"))
        previous = buy.status
        buy.add_fill(ex)
        buy.status = OrderStatus.PARTIALLY_FILLED if n == 1 else OrderStatus.FILLED
        journal.record_fill(buy, ex, previous, ex.ts)
    journal.close()
    trade(store, "SPY", Side.BUY, "100", "501.23", T0, exit_price="503.10", exit_ts=T0 + timedelta(hours=1))
    trade(store, "QQQ", Side.SELL, "7", "430.5", T0 + timedelta(hours=2), strategy="s2")
    repos = Repositories(store)
    repos.trading_state.append(StateChange(T0 + timedelta(hours=3), State.HALTED, State.ACTIVE, "backup drill",
                                           "cli:ops"))
    repos.settings.save(MARKET, now=T0)


def _trade(t: Trade) -> dict[str, Any]:
    """A trade's fields with its position book spelled out (Trade and Position compare by identity)."""
    view = {f.name: getattr(t, f.name) for f in fields(t) if f.name != "book"}
    view["book"] = {name: getattr(t.book, name) for name in Position.__slots__}
    return view


def snapshot(store: Engine) -> dict[str, Any]:
    """Everything :func:`seed` wrote, read back as domain objects."""
    journal = SqlOrderJournal(store, broker="sim")
    trades = SqlTradeStore(store)
    repos = Repositories(store)
    settings = repos.settings.load()
    try:
        return {"orders": journal.load_orders(), "fills": journal.fills(), "positions": journal.positions(),
                "trades": [_trade(t) for t in trades.load_trades()], "state": repos.trading_state.history(""),
                "settings": None if settings is None else (settings.market, settings.raw, settings.updated_at)}
    finally:
        journal.close()
        trades.close()
