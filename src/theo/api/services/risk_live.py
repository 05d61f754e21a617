"""The account's live risk figures beside their limits, read from the database (trades, fills, trading state).

The figures are those the pre-trade checks use (``theo.risk.checks`` through the trade manager's portfolio):
equity is ``[market] capital`` plus the net P&L of every trade (closed and open, open ones at the latest mark),
the day's P&L is equity less the equity at the start of the account's current day (its clock: the run's
simulated time on a paper run, else the newest fill on a paper account, else today), exposure is the gross value
of the open trades at their marks, and day trades are counted over the fills by the direction-change method of
``theo.risk.pdt``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from theo.api.services.context import ServiceContext
from theo.config import TheoConfig
from theo.core.calendar import ET, get_calendar
from theo.model.enums import InstrumentKind
from theo.model.events import Execution
from theo.model.money import ZERO
from theo.model.trades import Trade
from theo.node.pnl import realized_pnl
from theo.trading.portfolio import closed_equity_peak

CENT = Decimal("0.01")


class Gauge(BaseModel):
    """One live value beside its limit (``limit`` null: that limit is off)."""

    value: Decimal | int
    limit: Decimal | int | None
    unit: str = Field(description="USD | % | count")
    breached: bool


class Denial(BaseModel):
    ts: datetime
    account: str
    strategy: str
    symbol: str
    rule: str
    reason: str


class LiveRisk(BaseModel):
    as_of: datetime = Field(description="the account's clock the day's figures are of")
    day: date
    state: str
    equity: Decimal
    day_pnl: Decimal
    daily_loss: Gauge
    open_positions: Gauge
    trades_today: Gauge
    exposure: Gauge
    net_exposure: Gauge
    open_risk: Gauge
    day_trades: Gauge
    drawdown: Gauge
    denials: list[Denial]


def _gauge(value: Decimal | int, limit: Decimal | int | None, unit: str) -> Gauge:
    return Gauge(value=value, limit=limit, unit=unit, breached=limit is not None and value >= limit)


def _as_of(ctx: ServiceContext, cfg: TheoConfig, fills: Sequence[Execution]) -> datetime:
    if ctx.run is not None:
        sim = ctx.run.counters().get("sim_now")
        if isinstance(sim, str) and sim:
            return datetime.fromisoformat(sim)
    if cfg.app.mode != "live" and fills:
        return max(f.ts for f in fills)
    return datetime.now(UTC)


def _marks(ctx: ServiceContext, trades: Sequence[Trade]) -> dict[str, Decimal]:
    from theo.persistence.repositories.bars import BarRepository

    live: Mapping[str, Any] = ctx.run.counters().get("last_price", {}) if ctx.run is not None else {}
    bars = BarRepository(ctx.store)
    out: dict[str, Decimal] = {}
    for t in trades:
        if t.symbol in out:
            continue
        px = live.get(t.symbol)
        if px is None:
            px = bars.last_close(t.symbol)
        if px is not None:
            out[t.symbol] = Decimal(repr(float(px)))
        elif t.entry_price is not None:
            out[t.symbol] = t.entry_price
    return out


def _net(t: Trade, mark: Decimal | None) -> Decimal:
    return t.realised + t.unrealised(mark) - t.charges


def _day_trades(cfg: TheoConfig, fills: Sequence[Execution], day: date) -> int:
    from theo.node.kernel import instruments_for
    from theo.risk.pdt import DayTradeCounter, DayTradeFill

    acct = cfg.risk.account
    counter = DayTradeCounter(get_calendar(cfg.market.calendar), acct.pdt_window_days)
    kinds = instruments_for(sorted({f.symbol for f in fills}))
    for f in sorted(fills, key=lambda f: f.ts):
        if kinds[f.symbol].kind is not InstrumentKind.FUTURE:
            counter.record(DayTradeFill(f.symbol, f.side, f.quantity, f.ts))
    return counter.count(day)


def _start_of_day(capital: Decimal, trades: Sequence[Trade], day: date) -> Decimal:
    """Equity at the start of ``day`` (ET): capital plus the net P&L of the trades closed before it (a trade
    still open counts from its entry, so its P&L of earlier days is in the day's figure)."""
    return capital + realized_pnl(t for t in trades if t.exit_ts is not None and t.exit_ts.astimezone(ET).date() < day)


def _peak_drawdown(capital: Decimal, trades: Sequence[Trade], equity: Decimal) -> Decimal:
    """Drawdown (%) of ``equity`` from the highest equity the closed trades reached."""
    peak = max(closed_equity_peak(capital, trades), equity)
    return ((peak - equity) / peak * 100).quantize(CENT) if peak > 0 else ZERO


def live_risk(ctx: ServiceContext, cfg: TheoConfig) -> LiveRisk:
    """The figures of the default account (see the module docstring) and its latest denials."""
    from theo.persistence.repositories import Repositories
    from theo.persistence.repositories.orders import SqlOrderJournal
    from theo.persistence.repositories.trades import SqlTradeStore
    from theo.risk.state import current_state

    repos = Repositories(ctx.store)
    state, _ = current_state(repos.trading_state, "")
    trades = SqlTradeStore(ctx.store).load_trades()
    fills = SqlOrderJournal(ctx.store).fills()
    as_of = _as_of(ctx, cfg, fills)
    day = as_of.astimezone(ET).date()
    open_trades = [t for t in trades if t.is_open]
    marks = _marks(ctx, open_trades)
    capital = cfg.market.capital
    equity = (capital + sum((_net(t, marks.get(t.symbol)) for t in trades), ZERO)).quantize(CENT)
    limits = cfg.risk.limits_for()
    day_pnl = (equity - _start_of_day(capital, trades, day)).quantize(CENT)
    loss_limits = [v for v in (limits.daily_loss_limit,
                               None if limits.daily_loss_limit_pct is None else
                               (equity - day_pnl) * limits.daily_loss_limit_pct / 100) if v is not None]
    gross = sum((abs(t.open_qty * marks.get(t.symbol, ZERO) * t.multiplier) for t in open_trades), ZERO)
    net = sum((t.side.sign * t.open_qty * marks.get(t.symbol, ZERO) * t.multiplier for t in open_trades), ZERO)
    pct = (lambda v: (v / equity * 100).quantize(CENT)) if equity > 0 else (lambda v: ZERO)
    acct = cfg.risk.account
    pdt_on = acct.pdt_policy == "legacy_pdt"  # the limit binds below pdt_min_equity (market-rules.md §1.1)
    opened_today = sum(1 for t in trades if t.entry_ts is not None and t.entry_ts.astimezone(ET).date() == day)
    return LiveRisk(
        as_of=as_of, day=day, state=state.value, equity=equity, day_pnl=day_pnl,
        daily_loss=_gauge(max(-day_pnl, ZERO), min(loss_limits).quantize(CENT) if loss_limits else None, "USD"),
        open_positions=_gauge(len(open_trades), limits.max_active_trades, "count"),
        trades_today=_gauge(opened_today, limits.max_trades_per_day, "count"),
        exposure=_gauge(pct(gross), limits.max_gross_exposure_pct, "%"),
        net_exposure=_gauge(pct(abs(net)), limits.max_net_exposure_pct, "%"),
        open_risk=_gauge(pct(sum((t.risk for t in open_trades), ZERO)), limits.max_total_risk_pct, "%"),
        day_trades=_gauge(_day_trades(cfg, fills, day), acct.pdt_max_day_trades if pdt_on else None, "count"),
        drawdown=_gauge(_peak_drawdown(capital, trades, equity), cfg.risk.breakers.max_drawdown_pct, "%"),
        denials=[Denial(ts=d.ts, account=d.account, strategy=d.strategy, symbol=d.symbol, rule=d.rule,
                        reason=d.reason) for d in repos.decisions.denials(10)])
