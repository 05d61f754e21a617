"""The texts of the bot's answers and of the daily summary, from the same service functions the API calls
(:mod:`theo.api.services`). Money has two decimals, times are New York time; plain text, no Markdown."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from theo.api.services.context import Actor, Role, ServiceContext
from theo.api.services.overview import get_overview
from theo.api.services.risk_live import Gauge, live_risk
from theo.api.services.signals import list_signals
from theo.api.services.state import get_state
from theo.api.services.trades import list_trades
from theo.core.calendar import ET
from theo.node.notify.alerts import et, money, qty, signed

LIST = 10  # rows in /trades and /signals


def status_text(ctx: ServiceContext, actor: Actor) -> str:
    o = get_overview(ctx, actor)
    run = o.run
    lines = [f"Trading {o.state.state.value}" + (f" since {et(o.state.since)} ({o.state.reason})"
                                                  if o.state.since else ""),
             f"Engine: {run.status} ({run.mode}, {run.feed}) · heartbeat {et(run.heartbeat)}" if run is not None
             else "Engine: no run recorded",
             f"Feed {o.health.feed.status} · broker {o.health.broker.status} ({o.health.broker.detail})",
             f"Account {money(o.account_value)} USD · today {signed(o.today_pnl)} · open trades "
             f"{len(o.open_trades)} · working orders {len(o.working_orders)}"]
    if o.state.pending_kill:
        lines.append("A kill request waits for the engine's next sweep")
    return "\n".join(lines)


def positions_text(ctx: ServiceContext, actor: Actor) -> str:
    o = get_overview(ctx, actor)
    if not o.open_trades:
        return "No open positions."
    rows = [f"{t.symbol} {'long' if t.side.value == 'BUY' else 'short'} {qty(t.quantity)} @ {money(t.entry_price)}"
            f" · last {money(t.last_price)} · P&L {signed(t.unrealized_pnl)}" for t in o.open_trades]
    return "Open positions\n" + "\n".join(rows) + f"\nUnrealized {signed(o.unrealized_pnl)} USD"


def trades_text(ctx: ServiceContext, actor: Actor) -> str:
    page = list_trades(ctx, actor, limit=LIST)
    if not page.items:
        return "No trades yet."
    rows = []
    for t in page.items:
        when = et(t.exit_ts or t.entry_ts, seconds=False)
        rows.append(f"#{t.id} {t.symbol} {t.side} {qty(t.quantity)} {t.status} · entry {money(t.entry_price)}"
                    f" exit {money(t.exit_price)} · P&L {signed(t.pnl)} · {when}")
    return f"Latest {len(rows)} of {page.total} trades\n" + "\n".join(rows)


def pnl_text(ctx: ServiceContext, actor: Actor) -> str:
    o = get_overview(ctx, actor)
    return (f"P&L (USD)\ntoday {signed(o.today_pnl)}\nrealized {signed(o.realized_pnl)}\n"
            f"unrealized {signed(o.unrealized_pnl)}\ntotal {signed(o.total_pnl)}\n"
            f"account value {money(o.account_value)} · cash {money(o.cash)}")


def signals_text(ctx: ServiceContext, actor: Actor) -> str:
    page = list_signals(ctx, actor, limit=LIST)
    if not page.items:
        return "No signals yet."
    rows = [f"{et(s.ts, seconds=False)} {s.symbol} {s.side} ({s.strategy}) {s.status}"
            + (f": {s.reason}" if s.reason else "") for s in page.items]
    return f"Latest {len(rows)} of {page.total} signals\n" + "\n".join(rows)


def _gauge(name: str, g: Gauge) -> str:
    value = money(g.value) if g.unit == "USD" else (f"{g.value:.2f}" if g.unit == "%" else str(g.value))
    limit = "-" if g.limit is None else (money(g.limit) if g.unit == "USD" else
                                         f"{g.limit:.2f}" if g.unit == "%" else str(g.limit))
    return f"{name} {value}/{limit} {g.unit}{' BREACHED' if g.breached else ''}"


def risk_text(ctx: ServiceContext, actor: Actor) -> str:
    actor.require(Role.VIEWER, "reading the live risk")
    r = live_risk(ctx, ctx.config)
    lines = [f"Risk {r.state} · {r.day} · equity {money(r.equity)} · day P&L {signed(r.day_pnl)}",
             _gauge("daily loss", r.daily_loss), _gauge("open positions", r.open_positions),
             _gauge("trades today", r.trades_today), _gauge("exposure", r.exposure),
             _gauge("open risk", r.open_risk), _gauge("day trades", r.day_trades), _gauge("drawdown", r.drawdown)]
    if r.denials:
        d = r.denials[0]
        lines.append(f"last denial {et(d.ts, seconds=False)} {d.symbol} {d.rule}: {d.reason}")
    return "\n".join(lines)


def state_text(ctx: ServiceContext, actor: Actor) -> str:
    v = get_state(ctx, actor)
    return f"Trading is {v.state.value}" + (f" ({v.reason}, by {v.actor})" if v.reason else "")


def daily_summary(ctx: ServiceContext, actor: Actor, day: date) -> str:
    """The day's closed trades and P&L, the account and the trading state: sent after the close."""
    from theo.persistence.repositories.trades import SqlTradeStore

    start = datetime.combine(day, time(0), ET)
    trades = SqlTradeStore(ctx.store).load_trades()
    closed = [t for t in trades if t.exit_ts is not None and start <= t.exit_ts < start + timedelta(days=1)
              and not t.is_open]
    net = [t.realised - t.charges for t in closed]
    wins = sum(1 for p in net if p > 0)
    o = get_overview(ctx, actor)
    lines = [f"Daily summary {day.isoformat()}",
             f"closed trades {len(closed)} (won {wins}, lost {len(closed) - wins}) · "
             f"P&L {signed(sum(net, Decimal(0)))} USD"]
    for t, p in sorted(zip(closed, net, strict=True), key=lambda x: x[1], reverse=True)[:LIST]:
        lines.append(f"  {t.symbol} {t.strategy} {signed(p)}")
    lines += [f"open positions {len(o.open_trades)} · unrealized {signed(o.unrealized_pnl)}",
              f"account {money(o.account_value)} USD · total P&L {signed(o.total_pnl)}",
              f"trading {o.state.state.value}"]
    return "\n".join(lines)
