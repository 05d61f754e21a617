"""The overview page: account value and P&L, the equity curve, trading state, PDT, buying power, health.

Everything is read from the database (trades, fills, the trading state, the run's heartbeat counters), so the
page works the same inside ``theo run`` and in ``theo api`` beside a separate engine.

* Realized P&L: the closed trades' P&L net of charges (as ``theo status`` shows it).
* Unrealized P&L: the open trades at the run's last prices (their entry price before the first one).
* Account value: ``[market] capital`` + realized + unrealized; cash: account value less the net value of the
  open positions.
* Today: realized on trades closed today (exchange date of the engine's clock) + unrealized.
* Equity curve: capital plus the cumulative realized P&L at each exit, then now with the unrealized;
  drawdown is the fraction below the running peak (0 at a peak, -0.05 five per cent below).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from theo.api.services.context import Actor, Role, ServiceContext
from theo.api.services.runinfo import RunInfo, latest_run
from theo.api.services.state import StateNow, state_now
from theo.core.calendar import ET
from theo.model.enums import Side
from theo.model.instruments import equity as stock
from theo.model.money import ZERO
from theo.model.orders import Order
from theo.model.trades import Trade
from theo.node.pnl import realized_pnl
from theo.risk.margin import MarginModel
from theo.risk.pdt import DayTradeCounter, DayTradeFill

CENT = Decimal("0.01")
MAX_POINTS = 2000


class EquityPoint(BaseModel):
    ts: datetime
    equity: Decimal
    drawdown: Decimal = Field(description="fraction below the running peak (0 or negative)")


class Pdt(BaseModel):
    day_trades_5d: int
    limit: int
    flagged: bool = Field(description="more day trades in the window than the limit allows")
    remaining: int | None = Field(description="day trades left before the limit; None: not limited")


class FeedHealth(BaseModel):
    status: str = Field(description="ok | stale | down")
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    last_tick: datetime | None


class BrokerHealth(BaseModel):
    status: str = Field(description="ok | degraded | down")
    detail: str


class Health(BaseModel):
    feed: FeedHealth
    broker: BrokerHealth


class OpenTrade(BaseModel):
    id: int | None
    strategy: str
    symbol: str
    side: Side
    quantity: Decimal
    entry_price: Decimal | None
    last_price: Decimal | None
    unrealized_pnl: Decimal


class WorkingOrder(BaseModel):
    id: str
    symbol: str
    side: Side
    type: str
    status: str
    quantity: Decimal
    filled: Decimal
    price: Decimal | None


class Overview(BaseModel):
    account_value: Decimal
    cash: Decimal
    today_pnl: Decimal
    total_pnl: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    equity: list[EquityPoint]
    state: StateNow
    pdt: Pdt
    buying_power: Decimal
    run: RunInfo | None
    health: Health
    open_trades: list[OpenTrade]
    working_orders: list[WorkingOrder]


def marks_of(counters: dict[str, Any]) -> dict[str, Decimal]:
    """The run's last price per symbol (floats in the counters) as Decimals."""
    return {s: Decimal(repr(p)) for s, p in counters.get("last_price", {}).items() if p is not None}


def pnl_event(realized: Decimal, open_trades: Iterable[Trade], marks: dict[str, Decimal]) -> dict[str, str]:
    """The stream's ``pnl`` data: realized, unrealized (open trades at ``marks``, else at entry) and total."""
    unrealized = sum((t.unrealised(marks.get(t.symbol, t.entry_price)) for t in open_trades
                      if t.is_open and t.entry_price is not None), ZERO)
    return {"realized": str(realized.quantize(CENT)), "unrealized": str(unrealized.quantize(CENT)),
            "total": str((realized + unrealized).quantize(CENT))}


def equity_curve(capital: Decimal, closed: list[Trade], now: datetime, unrealized: Decimal) -> list[EquityPoint]:
    """Capital plus cumulative realized P&L at each exit, then ``now`` with ``unrealized`` (module docstring)."""
    exits = sorted((t for t in closed if t.exit_ts is not None), key=lambda t: t.exit_ts or now)
    points: list[tuple[datetime, Decimal]] = []
    if exits:
        first = exits[0].entry_ts or exits[0].exit_ts
        assert first is not None
        points.append((first, capital))
    value = capital
    for t in exits:
        value += t.realised - t.charges
        assert t.exit_ts is not None
        points.append((t.exit_ts, value))
    points.append((max(now, points[-1][0]) if points else now, value + unrealized))
    if len(points) > MAX_POINTS:  # keep the ends and an even sample between them
        step = len(points) / (MAX_POINTS - 1)
        points = [points[int(i * step)] for i in range(MAX_POINTS - 1)] + [points[-1]]
    out, peak = [], None
    for ts, eq in points:
        peak = eq if peak is None or eq > peak else peak
        dd = (eq / peak - 1) if peak > 0 else ZERO
        out.append(EquityPoint(ts=ts, equity=eq.quantize(CENT), drawdown=dd.quantize(Decimal("0.000001"))))
    return out


def pdt_status(ctx: ServiceContext, fills: list[Any], today: datetime, equity: Decimal) -> Pdt:
    """Day trades in the rolling window (market-rules.md §1.1) and what is left of the limit."""
    from theo.core.calendar import get_calendar

    acct = ctx.config.risk.account
    cal = get_calendar(ctx.config.market.calendar, ctx.config.market)
    day = today.astimezone(ET).date()
    window = cal.business_days_back(day, acct.pdt_window_days)
    start = datetime.combine(window[0], datetime.min.time(), ET) if window else today
    before: dict[str, Decimal] = {}
    for f in fills:
        if f.ts < start:
            before[f.symbol] = before.get(f.symbol, ZERO) + f.side.sign * f.quantity
    counter = DayTradeCounter(cal, acct.pdt_window_days, before)
    for f in sorted((f for f in fills if f.ts >= start), key=lambda f: f.ts):
        counter.record(DayTradeFill(f.symbol, f.side, f.quantity, f.ts))
    count = counter.count(day)
    limited = acct.pdt_policy == "legacy_pdt" and equity < acct.pdt_min_equity
    return Pdt(day_trades_5d=count, limit=acct.pdt_max_day_trades, flagged=count > acct.pdt_max_day_trades,
               remaining=max(acct.pdt_max_day_trades - count, 0) if limited else None)


def buying_power(ctx: ServiceContext, equity: Decimal, positions: dict[str, Decimal],
                 marks: dict[str, Decimal]) -> Decimal:
    """Day-trading buying power (4 x equity over maintenance) for a pattern day trader's account, else what
    Reg T allows overnight (2 x equity over the 50 % requirement)."""
    acct = ctx.config.risk.account
    margin = MarginModel(acct.margin)
    instruments = {s: stock(s) for s in positions}
    if acct.pdt_policy == "legacy_pdt" and equity >= acct.pdt_min_equity:
        bp = margin.day_trading_buying_power(equity, margin.total("maintenance", instruments, positions, marks))
    else:
        bp = margin.overnight_buying_power(equity, margin.total("reg_t_initial", instruments, positions, marks))
    return bp.quantize(CENT)


def health(run: RunInfo | None, counters: dict[str, Any]) -> Health:
    """Feed and broker health from the run's counters (IBKR link and latency; the paper run's heartbeat)."""
    running = run is not None and run.status == "running"
    latency = [v for v in counters.get("latency", {}).values() if isinstance(v, dict)]
    p50 = max((float(v["p50_ms"]) for v in latency), default=None)
    p99 = max((float(v["p99_ms"]) for v in latency), default=None)
    last = run.sim_now if run is not None else None
    feed_status = "ok" if running else ("stale" if run is not None and run.status == "stale" else "down")
    link = counters.get("ibkr")
    if not running:
        broker = BrokerHealth(status="down", detail="no engine running" if run is None or run.status != "stale"
                              else "the engine's heartbeat stopped")
    elif isinstance(link, dict):
        colour = {"green": "ok", "amber": "degraded"}.get(str(link.get("status")), "down")
        detail = f"IBKR {link.get('link')} since {link.get('since')}, account {link.get('account') or '-'}"
        detail += f"; {link['error']}" if link.get("error") else ""
        broker = BrokerHealth(status=colour, detail=detail)
        if colour != "ok":
            feed_status = "down" if colour == "down" else "stale"
    else:
        broker = BrokerHealth(status="ok", detail="simulated broker (paper)")
    return Health(feed=FeedHealth(status=feed_status, latency_p50_ms=p50, latency_p99_ms=p99, last_tick=last),
                  broker=broker)


def _order(o: Order) -> WorkingOrder:
    req = o.request
    price = req.limit_price if req.limit_price is not None else req.stop_price
    return WorkingOrder(id=o.client_order_id, symbol=o.symbol, side=o.side, type=req.order_type.value,
                        status=o.status.value, quantity=o.quantity, filled=o.filled_qty, price=price)


def get_overview(ctx: ServiceContext, actor: Actor) -> Overview:
    actor.require(Role.VIEWER, "reading the overview")
    from theo.persistence.repositories.orders import SqlOrderJournal
    from theo.persistence.repositories.trades import SqlTradeStore

    run, counters = latest_run(ctx)
    now = (run.sim_now if run is not None and run.sim_now is not None else None) or datetime.now(UTC)
    trades = SqlTradeStore(ctx.store).load_trades()
    journal = SqlOrderJournal(ctx.store)
    marks = marks_of(counters)
    closed = [t for t in trades if not t.is_open]
    realized = realized_pnl(closed)
    open_rows, unrealized, positions = [], ZERO, dict[str, Decimal]()
    for t in trades:
        if t.is_open and t.entry_price is not None:
            mark = marks.get(t.symbol, t.entry_price)
            u = t.unrealised(mark)
            unrealized += u
            positions[t.symbol] = positions.get(t.symbol, ZERO) + t.side.sign * t.open_qty
            open_rows.append(OpenTrade(id=t.id, strategy=t.strategy, symbol=t.symbol, side=t.side,
                                       quantity=t.open_qty, entry_price=t.entry_price, last_price=marks.get(t.symbol),
                                       unrealized_pnl=u.quantize(CENT)))
    capital = ctx.config.market.capital
    value = capital + realized + unrealized
    net_positions = sum((q * marks.get(s, ZERO) for s, q in positions.items()), ZERO)
    today = now.astimezone(ET).date()
    today_realized = realized_pnl(t for t in closed
                                  if t.exit_ts is not None and t.exit_ts.astimezone(ET).date() == today)
    fills = journal.fills() if ctx.config.risk.account.pdt_policy != "none" else []
    return Overview(
        account_value=value.quantize(CENT), cash=(value - net_positions).quantize(CENT),
        today_pnl=(today_realized + unrealized).quantize(CENT), total_pnl=(realized + unrealized).quantize(CENT),
        realized_pnl=realized.quantize(CENT), unrealized_pnl=unrealized.quantize(CENT),
        equity=equity_curve(capital, closed, now, unrealized), state=state_now(ctx),
        pdt=pdt_status(ctx, fills, now, value),
        buying_power=buying_power(ctx, value, positions, marks), run=run, health=health(run, counters),
        open_trades=open_rows, working_orders=[_order(o) for o in journal.load_orders(open_only=True)])
