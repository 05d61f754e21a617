"""Which session a bar belongs to, for the pivots (streaming and batch use these same rules).

A session key is the ordinal of the session's date. With a calendar it is the date of the calendar
session whose extended hours contain the bar's start (a CME session that opens at 18:00 ET belongs to the
next day); without one, or outside every session, it is the bar start's date in America/New_York. Daily
and longer bars are each their own session, so their pivots come from the previous bar.
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd

from theo.core.calendar import ET, MarketCalendar
from theo.core.time import to_us
from theo.indicators.base import IntArray

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def session_key(start: datetime, calendar: MarketCalendar | None = None) -> int:
    """The session key of one bar start (UTC-aware)."""
    if calendar is not None:
        s = calendar.session_at(start)
        if s is not None:
            return s.day.toordinal()
    return start.astimezone(ET).date().toordinal()


def session_keys(start_us: IntArray, calendar: MarketCalendar | None = None) -> IntArray:
    """Session keys of many bar starts (UTC microseconds), as :func:`session_key` gives them one by one."""
    if start_us.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    idx = pd.DatetimeIndex(pd.to_datetime(start_us, unit="us", utc=True)).tz_convert(ET).tz_localize(None)
    local_days = idx.as_unit("us").asi8 // 86_400_000_000  # wall-clock microseconds -> local date
    keys = np.asarray(local_days, dtype=np.int64) + _EPOCH_ORDINAL
    if calendar is None:
        return keys
    first = date.fromordinal(int(keys.min()) - 1)
    last = date.fromordinal(int(keys.max()) + 1)
    sessions = calendar.sessions_in_range(first, last)
    if not sessions:
        return keys
    pre = np.array([to_us(s.pre_open) for s in sessions], dtype=np.int64)
    post = np.array([to_us(s.post_close) for s in sessions], dtype=np.int64)
    days = np.array([s.day.toordinal() for s in sessions], dtype=np.int64)
    i = np.searchsorted(pre, start_us, side="right") - 1
    inside = (i >= 0) & (start_us < post[np.maximum(i, 0)])
    return np.where(inside, days[np.maximum(i, 0)], keys)
