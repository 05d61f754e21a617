"""Timeframes and session-aligned buckets.

A bar never straddles a session boundary: pre-market, regular session and post-market are separate
*segments*, and N-minute buckets are counted from each segment's start (the first regular bar starts at
09:30 ET; a 60-minute regular bar series is 09:30, 10:30, ... 15:30, the last one ending at 16:00 or at
the early close). CME equity futures have one segment per trading day, from 18:00 ET the evening before.
Times here are integer UTC microseconds: exact, and fast enough for the per-tick path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from theo.core.calendar import MarketCalendar
from theo.model.enums import SessionKind
from theo.persistence.types import from_micros, to_micros

MINUTE_US = 60_000_000
_TF = re.compile(r"^(\d+)([mhd])$")


@dataclass(frozen=True, slots=True)
class Timeframe:
    """A bar length. ``minutes`` is ``None`` for ``1d``: one bar per regular session."""

    label: str
    minutes: int | None

    @property
    def step_us(self) -> int | None:
        return None if self.minutes is None else self.minutes * MINUTE_US

    @property
    def daily(self) -> bool:
        return self.minutes is None


def parse_timeframe(label: str) -> Timeframe:
    """Parse ``"5m"``, ``"1h"``, ``"90m"`` or ``"1d"``; raise ``ValueError`` naming the label otherwise."""
    m = _TF.match(label.strip())
    if not m or int(m.group(1)) <= 0:
        raise ValueError(f"timeframe {label!r} is not valid: use N minutes, hours or days such as 5m, 1h, 1d")
    n, unit = int(m.group(1)), m.group(2)
    if unit == "d":
        if n != 1:
            raise ValueError(f"timeframe {label!r}: only 1d (one bar per regular session) is supported")
        return Timeframe(label, None)
    minutes = n * 60 if unit == "h" else n
    if minutes > 24 * 60:
        raise ValueError(f"timeframe {label!r} is longer than a day; use 1d")
    return Timeframe(label, minutes)


@dataclass(frozen=True, slots=True)
class Segment:
    """One contiguous part of a session ``[start_us, end_us)`` of one kind (PRE, REGULAR or POST)."""

    start_us: int
    end_us: int
    kind: SessionKind
    day: date

    def bucket(self, ts_us: int, step_us: int | None) -> tuple[int, int]:
        """Start and end of the bucket holding ``ts_us`` (aligned to the segment start, clipped to it)."""
        if step_us is None:
            return self.start_us, self.end_us
        start = self.start_us + (ts_us - self.start_us) // step_us * step_us
        return start, min(start + step_us, self.end_us)


def session_segments(calendar: MarketCalendar, day: date) -> list[Segment]:
    """The non-empty segments of the session on ``day`` (none on a holiday), in time order."""
    s = calendar.session(day)
    if s is None:
        return []
    parts = ((s.pre_open, s.open, SessionKind.PRE), (s.open, s.close, SessionKind.REGULAR),
             (s.close, s.post_close, SessionKind.POST))
    return [Segment(to_micros(a), to_micros(b), k, day) for a, b, k in parts if b > a]


def segment_at(calendar: MarketCalendar, ts_us: int) -> Segment | None:
    """The segment holding ``ts_us``, or ``None`` when the market is closed."""
    s = calendar.session_at(from_micros(ts_us))
    if s is None:
        return None
    for seg in session_segments(calendar, s.day):
        if seg.start_us <= ts_us < seg.end_us:
            return seg
    return None


def next_segment(calendar: MarketCalendar, ts_us: int) -> Segment:
    """The segment holding ``ts_us``, or else the first one starting after it."""
    seg = segment_at(calendar, ts_us)
    if seg is not None:
        return seg
    ts = from_micros(ts_us)
    day = (ts - timedelta(days=1)).date()
    for _ in range(15):
        for cand in session_segments(calendar, day) if calendar.is_session(day) else []:
            if cand.start_us > ts_us:
                return cand
        day = calendar.next_session(day)
    raise LookupError(f"no session after {ts.isoformat()} in calendar {calendar.name}")


def segments_between(calendar: MarketCalendar, start: datetime, end: datetime) -> list[Segment]:
    """Every segment overlapping ``[start, end)``."""
    a, b = to_micros(start), to_micros(end)
    days = calendar.sessions_in_range(start.date() - timedelta(days=1), end.date() + timedelta(days=1))
    out: list[Segment] = []
    for s in days:
        out.extend(seg for seg in session_segments(calendar, s.day) if seg.end_us > a and seg.start_us < b)
    return out
