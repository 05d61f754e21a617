"""When a scanner's signal stops being actionable (plan §3 "Expiry", "SS-Type").

* ``intraday`` signals expire at the close of their own session;
* ``positional`` signals expire at the close of the last session of their week (``weekly``) or of their
  month (``monthly``), holidays and early closes included (exchange calendar).

A signal made after that close (post-market scanning) expires at the end of that day's post-market.

For option scanners the same ``expiry`` setting also picks the contract's expiration date
(:func:`option_expiration`): the week's Friday (``weekly``) or the month's third Friday (``monthly``),
moved back to the previous session when the exchange is closed that day (the third-Friday rule of
market-rules.md §5.1).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Literal

from theo.core.calendar import ET, MarketCalendar


def _session_day(ts: datetime, calendar: MarketCalendar) -> date:
    s = calendar.session_at(ts)
    return s.day if s is not None else ts.astimezone(ET).date()


def third_friday(year: int, month: int) -> date:
    """The third Friday of a month (market-rules.md §5.1)."""
    d = date(year, month, 1)
    return d + timedelta(days=(4 - d.weekday()) % 7 + 14)


def option_expiration(ts: datetime, expiry: Literal["weekly", "monthly"], calendar: MarketCalendar) -> date:
    """The expiration of the nearest weekly or monthly option series that has not expired at ``ts``.

    A Friday on which the exchange is closed (Good Friday) moves the expiration to the session before.
    """
    day = _session_day(ts, calendar)
    for k in range(3):
        if expiry == "weekly":
            candidate = day + timedelta(days=(4 - day.weekday()) % 7 + 7 * k)
        else:
            year, month = divmod(day.year * 12 + day.month - 1 + k, 12)
            candidate = third_friday(year, month + 1)
        while not calendar.is_session(candidate):
            candidate -= timedelta(days=1)
        if candidate >= day:
            return candidate
    raise AssertionError(f"no {expiry} expiration found after {day}")  # unreachable: k=1 is always later


def expiry_for(ts: datetime, expiry: Literal["weekly", "monthly"], kind: Literal["intraday", "positional"],
               calendar: MarketCalendar) -> datetime:
    """The UTC instant at which a signal made at ``ts`` expires."""
    day = _session_day(ts, calendar)
    if kind == "intraday":
        days = [day]
    elif expiry == "weekly":
        monday = day - timedelta(days=day.weekday())
        days = [monday + timedelta(days=i) for i in range(7)]
    else:
        first = day.replace(day=1)
        nxt = (first + timedelta(days=32)).replace(day=1)
        days = [first + timedelta(days=i) for i in range((nxt - first).days)]
    remaining = [d for d in days if d >= day and calendar.is_session(d)]
    if not remaining:
        # No session left in the period (a holiday signal with holiday checks off): end of that day, ET.
        return datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=ET).astimezone(UTC)
    session = calendar.session(remaining[-1])
    assert session is not None
    return session.close if session.close > ts else max(session.post_close, ts)
