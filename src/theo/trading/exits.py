"""Exit levels of a running trade: the risk-reduction trigger, its quantity, the time exit and its cut-off.

The protective stop and target are not here: they rest at the broker as the entry's bracket children.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from theo.core.calendar import ET, MarketCalendar
from theo.model.enums import Side
from theo.model.money import ZERO
from theo.model.trades import Trade
from theo.risk.config import TradeRules

HUNDRED = Decimal(100)


def arm_risk_reduction(t: Trade, rules: TradeRules) -> None:
    """Set the risk-reduction trigger (entry ± ``rr_trigger_r`` × the stop distance) once the entry filled."""
    entry = t.entry_price
    if rules.rr_trigger_r is None or entry is None or t.initial_stop is None or t.rr_done:
        t.rr_f = None
        return
    dist = abs(entry - t.initial_stop)
    t.rr_f = float(entry + t.side.sign * dist * rules.rr_trigger_r)


def rr_reached(t: Trade, high: float, low: float) -> bool:
    """True when an item's range reaches the trigger (a long's high, a short's low)."""
    trigger = t.rr_f
    if trigger is None or t.rr_done:
        return False
    return high >= trigger if t.side is Side.BUY else low <= trigger


def rr_quantity(t: Trade, rules: TradeRules, lot: int) -> Decimal:
    """Quantity sold at the RR trigger: ``rr_sell_pct`` of the open quantity in whole lots, never all of it."""
    qty = (t.open_qty * rules.rr_sell_pct / HUNDRED / lot).to_integral_value(rounding=ROUND_FLOOR) * lot
    return qty if qty < t.open_qty else t.open_qty - lot if t.open_qty > lot else ZERO


def time_exit_at(day: date, cal: MarketCalendar, rules: TradeRules) -> datetime | None:
    """When running trades of ``day`` are closed: the configured ET time, earlier on early-close days."""
    if rules.time_exit is None or not cal.is_session(day):
        return None
    s = cal.session(day)
    assert s is not None
    configured = datetime.combine(day, rules.time_exit, tzinfo=ET).astimezone(s.close.tzinfo)
    before_close = s.close - timedelta(minutes=rules.time_exit_before_close_minutes)
    return min(configured, before_close)


def door_closed(now: datetime, cal: MarketCalendar, rules: TradeRules) -> datetime | None:
    """The time exit also closes the door: the cut-off ``now`` is at or after, or ``None`` when entries may go.

    From the cut-off of a session to the end of its trading day no entry is sent (its post-market included), so
    an intraday strategy never holds a position overnight; nothing trades between midnight ET and the next
    pre-market, where the next day's door opens.
    """
    if rules.time_exit is None:
        return None
    current = cal.session_at(now)  # a CME session starts the evening before its day
    day = current.day if current is not None else now.astimezone(ET).date()
    if not cal.is_session(day):
        return None  # a weekend or holiday: the next session's cut-off is ahead
    cutoff = time_exit_at(day, cal, rules)
    return cutoff if cutoff is not None and now >= cutoff else None
