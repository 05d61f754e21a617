"""Trades: the trade store's records with their P&L (net of charges, running trades marked at the newest stored
close, as the deals report marks them), and one trade with its orders, fills and signal."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel

from theo.analysis.deals import CENT, Deal, build_deals, last_close_marks
from theo.api.services.context import Actor, Role, ServiceContext
from theo.api.services.errors import NotFound
from theo.api.services.orders import FillItem, OrderItem, order_items
from theo.api.services.query import Page, check_page, choice, symbol_value, time_range
from theo.api.services.signals import SignalItem, signal_by_id
from theo.model.enums import Side
from theo.model.trades import Trade
from theo.persistence.repositories.bars import BarRepository
from theo.persistence.repositories.order_queries import OrderQueries
from theo.persistence.repositories.trades import SqlTradeStore, TradeFilter


class TradeItem(BaseModel):
    """One trade. ``pnl`` is net of charges (open trades: realised + unrealised at the last stored close),
    ``pnl_pct`` the net P&L as a percentage of the entry value; ``quantity`` the filled entry quantity (the
    planned one while nothing is filled)."""

    id: int
    strategy: str
    symbol: str
    side: str
    quantity: Decimal
    entry_ts: datetime | None
    entry_price: Decimal | None
    exit_ts: datetime | None
    exit_price: Decimal | None
    stop: Decimal | None
    target: Decimal | None
    pnl: Decimal
    pnl_pct: Decimal | None
    status: str
    exit_reason: str | None
    signal_id: str | None
    exit_qty: Decimal
    gross_pnl: Decimal
    charges: Decimal
    comment: str


class TradeDetail(TradeItem):
    """A trade with the orders it sent, their fills and the signal that opened it."""

    orders: list[OrderItem]
    fills: list[FillItem]
    signal: SignalItem | None


def trade_filter(status: str | None = None, symbol: str | None = None, strategy: str | None = None,
                 start: str | None = None, end: str | None = None, side: str | None = None,
                 filled: bool = False) -> TradeFilter:
    """The query's filters, checked (``side``: BUY/SELL or long/short)."""
    lo, hi = time_range(start, end)
    side_value = None
    if side:
        side_value = {"LONG": "BUY", "SHORT": "SELL"}.get(side.upper(), side.upper())
        choice(side_value, [s.value for s in Side], "side", upper=True)
    return TradeFilter(status=choice(status, ("open", "closed"), "status"), symbol=symbol_value(symbol),
                       strategy=strategy or None, side=side_value, start=lo, end=hi, filled=filled)


def _pct(v: Decimal | None) -> Decimal | None:
    return None if v is None else v.quantize(CENT)


def _item(t: Trade, d: Deal | None) -> TradeItem:
    assert t.id is not None
    gross = d.pnl if d is not None else t.realised
    net = d.net_pnl if d is not None else t.realised - t.charges
    return TradeItem(id=t.id, strategy=t.strategy, symbol=t.symbol, side=t.side.value,
                     quantity=t.entry_qty or t.planned_qty, entry_ts=t.entry_ts, entry_price=t.entry_price,
                     exit_ts=t.exit_ts, exit_price=t.exit_price, stop=t.stop, target=t.target, pnl=net,
                     pnl_pct=_pct(d.net_pnl_pct) if d is not None else None, status=t.status.value,
                     exit_reason=t.exit_reason.value if t.exit_reason else None,
                     signal_id=None if t.signal_id is None else str(t.signal_id), exit_qty=t.exit_qty,
                     gross_pnl=gross, charges=t.charges, comment=t.comment)


def trade_items(ctx: ServiceContext, trades: list[Trade]) -> list[TradeItem]:
    """Trades as items, running ones marked at their symbol's newest stored close."""
    marks = last_close_marks(BarRepository(ctx.store), trades)
    deals = {d.trade_id: d for d in build_deals(trades, marks, include_unfilled=True)}
    return [_item(t, deals.get(t.id)) for t in trades]


def list_trades(ctx: ServiceContext, actor: Actor, *, status: str | None = None, symbol: str | None = None,
                strategy: str | None = None, start: str | None = None, end: str | None = None,
                limit: int = 100, offset: int = 0, order: str = "desc") -> Page[TradeItem]:
    """Trades matching the filters (entry time in ``[from, to)``), newest first unless ``order=asc``."""
    actor.require(Role.VIEWER, "reading trades")
    check_page(limit, offset)
    f = trade_filter(status, symbol, strategy, start, end)
    newest = choice(order, ("asc", "desc"), "order") != "asc"
    trades, total = SqlTradeStore(ctx.store).page(f, limit, offset, newest_first=newest)
    return Page[TradeItem](items=trade_items(ctx, trades), total=total)


def get_trade(ctx: ServiceContext, actor: Actor, trade_id: int) -> TradeDetail:
    """One trade with its orders (entry first), their fills and its signal; :class:`NotFound` if unknown."""
    actor.require(Role.VIEWER, "reading trades")
    trade = SqlTradeStore(ctx.store).get(trade_id)
    if trade is None:
        raise NotFound(f"trade {trade_id} is not in the store", field="id")
    queries = OrderQueries(ctx.store)
    orders = queries.by_ids([trade.entry_order_id, *trade.exit_orders])
    items = order_items(queries, orders, {o.client_order_id: trade_id for o in orders})
    fills = sorted((f for o in orders for f in o.fills), key=lambda f: (f.ts, f.exec_id))
    signal = signal_by_id(ctx, trade.signal_id) if trade.signal_id is not None else None
    base = trade_items(ctx, [trade])[0]
    return TradeDetail(**base.model_dump(), orders=items, fills=[FillItem.of(f) for f in fills], signal=signal)
