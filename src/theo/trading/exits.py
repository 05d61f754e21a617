"""Exit levels of a running trade: the per-tick test, trailing stop, risk-reduction trigger, time exit.

The per-tick test compares floats prepared in advance (:meth:`Trade.refresh_levels`); Decimal arithmetic
happens only when a level moves or an exit is sent.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from theo.core.calendar import ET, MarketCalendar
from theo.model.enums import Side
from theo.model.money import ZERO, round_to_tick
from theo.model.trades import ExitReason, Trade
from theo.risk.config import TradeRules

HUNDRED = Decimal(100)


def crossed(t: Trade, price: float) -> ExitReason | None:
    """The exit ``price`` triggers for ``t`` (stop first), or ``None``."""
    if t.side is Side.BUY:
        if price <= t.stop_f:
            return t.stop_kind
        if price >= t.target_f:
            return ExitReason.PROFIT_TARGET
    else:
        if price >= t.stop_f:
            return t.stop_kind
        if price <= t.target_f:
            return ExitReason.PROFIT_TARGET
    return None


def bar_crossed(t: Trade, high: float, low: float) -> ExitReason | None:
    """Like :func:`crossed` for a bar; when a bar spans both levels the stop is assumed first (conservative)."""
    if t.side is Side.BUY:
        return crossed(t, low) or crossed(t, high)
    return crossed(t, high) or crossed(t, low)


def prepare(t: Trade, rules: TradeRules) -> None:
    """Set the risk-reduction trigger once the entry price is known."""
    t.refresh_levels()
    if rules.rr_trigger_r is None or t.entry_price is None or t.initial_stop is None or t.rr_done:
        t.rr_f = None
        return
    dist = abs(t.entry_price - t.initial_stop)
    t.rr_f = float(t.entry_price + t.side.sign * dist * rules.rr_trigger_r)


def rr_reached(t: Trade, price: float) -> bool:
    if t.rr_f is None or t.rr_done:
        return False
    return price >= t.rr_f if t.side is Side.BUY else price <= t.rr_f


def rr_quantity(t: Trade, rules: TradeRules, lot: int) -> Decimal:
    """Quantity sold at the RR trigger: ``rr_sell_pct`` of the open quantity in whole lots, never all of it."""
    qty = (t.open_qty * rules.rr_sell_pct / HUNDRED / lot).to_integral_value(rounding=ROUND_FLOOR) * lot
    return qty if qty < t.open_qty else t.open_qty - lot if t.open_qty > lot else ZERO


def trail(t: Trade, price: float, rules: TradeRules, tick: Decimal) -> bool:
    """Move the stop behind a new best price; ``True`` when it moved (the stop only ever tightens)."""
    if t.trailing_pct is None or t.entry_price is None:
        return False
    long = t.side is Side.BUY
    if (price <= t.extreme) if long else (price >= t.extreme):
        return False
    t.extreme = price
    if rules.trailing_activation_r and t.initial_stop is not None:
        gain = (Decimal(repr(price)) - t.entry_price) * t.side.sign
        if gain < abs(t.entry_price - t.initial_stop) * rules.trailing_activation_r:
            return False
    factor = 1 - t.side.sign * t.trailing_pct / HUNDRED
    new = round_to_tick(Decimal(repr(price)) * factor, tick, ROUND_FLOOR if long else ROUND_CEILING)
    if t.stop is not None and (new <= t.stop if long else new >= t.stop):
        return False
    t.stop = new
    t.stop_kind = ExitReason.TRAILING_STOP
    t.refresh_levels()
    return True


def time_exit_at(day: date, cal: MarketCalendar, rules: TradeRules) -> datetime | None:
    """When running trades of ``day`` are closed: the configured ET time, earlier on early-close days."""
    if rules.time_exit is None or not cal.is_session(day):
        return None
    s = cal.session(day)
    assert s is not None
    configured = datetime.combine(day, rules.time_exit, tzinfo=ET).astimezone(s.close.tzinfo)
    before_close = s.close - timedelta(minutes=rules.time_exit_before_close_minutes)
    return min(configured, before_close)
