"""Timeframe labels, and the session segments bars are aligned to.

Labels (:func:`parse_timeframe`, the one reader of timeframe labels in Theo):

* ``Ns`` seconds, ``Nm`` minutes, ``Nh`` hours (``1h`` is ``60m``), N a whole number from 1, at most one
  day (``86400s``, ``1440m``, ``24h``); ``5s`` is the length of IBKR real-time bars;
* ``1d``: one bar per regular session (09:30 to the close, early closes included).

Nothing else: not ``2d``, weeks or months, not ``5M`` or ``05m``. A label is kept as written, so ``1h``
and ``60m`` bars have the same buckets but are published under their own label.

A bar never straddles a session boundary: pre-market, regular session and post-market are separate
*segments*, and N-second/minute/hour buckets are counted from each segment's start (the first regular bar
starts at 09:30 ET; a 60-minute regular bar series is 09:30, 10:30, ... 15:30, the last one ending at
16:00 or at the early close). CME equity futures have one segment per trading day, from 18:00 ET the
evening before. Times here are integer UTC microseconds: exact, and fast enough for the per-item path.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator

from theo.core.calendar import MarketCalendar
from theo.core.errors import TimeframeError
from theo.core.time import from_us, to_us
from theo.model.enums import SessionKind

SECOND_US = 1_000_000
MINUTE_US = 60 * SECOND_US
HOUR_US = 60 * MINUTE_US
DAY_US = 24 * HOUR_US
#: Every segment boundary of the built-in calendars falls on a quarter hour (NYSE 04:00, 09:30, 13:00,
#: 16:00, 17:00, 20:00; CME 18:00, 13:00, 13:15, 17:00), so bars of a length dividing it start on a
#: segment-aligned time whether they were cut from the clock or from the segment start.
QUARTER_HOUR_US = 15 * MINUTE_US
ACCEPTED = "Ns, Nm or Nh of at most a day (e.g. 5s, 1m, 90m, 1h) or 1d (one bar per regular session)"

_LABEL = re.compile(r"([1-9][0-9]*)([smhdw])")
_UNIT_US = {"s": SECOND_US, "m": MINUTE_US, "h": HOUR_US}


@dataclass(frozen=True, slots=True)
class Timeframe:
    """A bar length. ``step_us`` is ``None`` for ``1d``: one bar per regular session."""

    label: str
    step_us: int | None

    @property
    def daily(self) -> bool:
        return self.step_us is None

    @property
    def length_us(self) -> int:
        """Nominal length: the step, or a day for ``1d`` (for staleness limits and ordering, not buckets)."""
        return DAY_US if self.step_us is None else self.step_us

    @property
    def length(self) -> timedelta:
        return timedelta(microseconds=self.length_us)


@lru_cache(maxsize=512)
def parse_timeframe(label: str) -> Timeframe:
    """Read a timeframe label (the forms in the module docstring); raise :class:`TimeframeError` naming it."""
    if not isinstance(label, str):
        raise TimeframeError(f"timeframe {label!r} is not valid: use {ACCEPTED}")
    text = label.strip()
    m = _LABEL.fullmatch(text)
    if m is None:
        raise TimeframeError(f"timeframe {label!r} is not valid: use {ACCEPTED}")
    n, unit = int(m.group(1)), m.group(2)
    if unit == "w":
        raise TimeframeError(f"timeframe {label!r}: weekly bars are not supported; use 1d")
    if unit == "d":
        if n != 1:
            raise TimeframeError(f"timeframe {label!r}: only 1d (one bar per regular session) is supported")
        return Timeframe(text, None)
    step = n * _UNIT_US[unit]
    if step > DAY_US:
        raise TimeframeError(f"timeframe {label!r} is longer than a day; use 1d (one bar per regular session)")
    return Timeframe(text, step)


def minute_timeframe(label: str) -> Timeframe:
    """A label the live collector can build from its 1-minute bars: whole minutes, or ``1d``."""
    tf = parse_timeframe(label)
    if tf.step_us is not None and tf.step_us % MINUTE_US:
        raise TimeframeError(f"timeframe {label!r}: the bar collector builds bars from 1-minute bars; use whole "
                             f"minutes (1m, 5m, 1h) or 1d")
    return tf


def _check_label(label: str) -> str:
    return parse_timeframe(label).label


#: A configuration field holding a timeframe label, checked by :func:`parse_timeframe`.
TimeframeLabel = Annotated[str, AfterValidator(_check_label)]


def check_rollup(source: Timeframe, target: Timeframe, what: str, calendar: MarketCalendar | None = None, *,
                 session_aligned: bool = False) -> None:
    """Refuse ``target`` bars that cannot be built from ``source`` bars; ``what`` names the data.

    Refused: a finer target, a target that is not a whole multiple of the source, and source bars whose
    buckets cannot line up with the segments. Bars from a feed or a file start on multiples of their length
    from the clock (a ``1h`` file has a 09:00-10:00 bar across the 09:30 open), so their length must divide
    the grid of the segment boundaries (of ``calendar``, else a quarter hour); pass ``session_aligned`` for
    bars built by this package, which start on their segment's grid whatever their length.
    """
    if source.step_us == target.step_us:
        return
    why = ""
    if source.daily or (target.step_us is not None and target.step_us < source.length_us):
        why = f"{target.label} is finer than {source.label}; use data of {target.label} or finer"
    elif target.step_us is not None and target.step_us % source.length_us:
        why = (f"{target.label} is not a whole multiple of {source.label}; use data whose timeframe divides "
               f"{target.label}")
    elif not session_aligned:
        grid = QUARTER_HOUR_US if calendar is None else session_grid_us(calendar)
        if grid % source.length_us:
            why = (f"{source.label} bars cut from the clock straddle session boundaries (a 09:00-10:00 bar "
                   f"holds pre-market and regular trading), so they cannot be aligned to the sessions; use data "
                   f"of {_label_of(grid)} or a divisor of it, or {target.label} bars")
    if why:
        raise TimeframeError(f"{what}: {target.label} bars cannot be built from {source.label} bars: {why}")


def _label_of(step_us: int) -> str:
    return f"{step_us // MINUTE_US}m" if step_us % MINUTE_US == 0 else f"{step_us // SECOND_US}s"


@lru_cache(maxsize=8)
def session_grid_us(calendar: MarketCalendar) -> int:
    """The largest length dividing every segment boundary of ``calendar`` (30 minutes for NYSE hours)."""
    grid = 0
    for s in calendar.sessions_in_range(date(1990, 1, 1), date(2030, 12, 31)):
        for t in (s.pre_open, s.open, s.close, s.post_close):
            grid = math.gcd(grid, to_us(t))
    return grid or QUARTER_HOUR_US


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
    return [Segment(to_us(a), to_us(b), k, day) for a, b, k in parts if b > a]


def segment_at(calendar: MarketCalendar, ts_us: int) -> Segment | None:
    """The segment holding ``ts_us``, or ``None`` when the market is closed."""
    s = calendar.session_at(from_us(ts_us))
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
    ts = from_us(ts_us)
    day = (ts - timedelta(days=1)).date()
    for _ in range(15):
        for cand in session_segments(calendar, day) if calendar.is_session(day) else []:
            if cand.start_us > ts_us:
                return cand
        day = calendar.next_session(day)
    raise LookupError(f"no session after {ts.isoformat()} in calendar {calendar.name}")


def segments_between(calendar: MarketCalendar, start: datetime, end: datetime) -> list[Segment]:
    """Every segment overlapping ``[start, end)``."""
    a, b = to_us(start), to_us(end)
    days = calendar.sessions_in_range(start.date() - timedelta(days=1), end.date() + timedelta(days=1))
    out: list[Segment] = []
    for s in days:
        out.extend(seg for seg in session_segments(calendar, s.day) if seg.end_us > a and seg.start_us < b)
    return out


class SegmentCursor:
    """The segment of a time stream, asked of the calendar only when the stream leaves the cached one.

    The closed gap after a segment is cached too, so a stream of items outside the sessions (a night of
    futures prints, a holiday of 5-second bars) costs two comparisons per item, not a calendar look-up.
    """

    __slots__ = ("calendar", "gap_end", "gap_start", "segment")

    def __init__(self, calendar: MarketCalendar) -> None:
        self.calendar = calendar
        self.segment: Segment | None = None
        self.gap_start = self.gap_end = 0

    def at(self, ts_us: int) -> Segment | None:
        """The segment holding ``ts_us``, or ``None`` when the market is closed then."""
        seg = self.segment
        if seg is not None and seg.start_us <= ts_us < seg.end_us:
            return seg
        if self.gap_start <= ts_us < self.gap_end:
            return None
        seg = segment_at(self.calendar, ts_us)
        if seg is not None:
            self.segment = seg
            return seg
        try:
            self.gap_end = next_segment(self.calendar, ts_us).start_us
        except LookupError:
            self.gap_end = ts_us + 1
        self.gap_start = ts_us
        return None
