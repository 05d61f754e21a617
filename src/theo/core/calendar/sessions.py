"""Exchange sessions from a maintained calendar library (``exchange_calendars``, NYSE ``XNYS``).

``exchange_calendars`` models the regular session only; pre-market (04:00 ET) and post-market (20:00 ET,
17:00 on early-close days: market-rules.md §4.1) come from :class:`~theo.config.market.MarketConfig` on top
of it; half days close at the library's time (13:00 ET today, 14:00 ET before 1993). The CME
equity-futures session (MES, ES) is derived from the same NYSE holiday table: it opens at 18:00 ET on the
previous evening, pauses 17:00–18:00 ET, halts at 13:00 ET on NYSE holidays (except New Year's Day, Good
Friday and Christmas, when it is closed) and at 13:15 ET on NYSE half days (market-rules.md §5.1).
"""

from __future__ import annotations

import warnings
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from theo.config.market import MarketConfig
from theo.core.errors import CalendarError
from theo.model.enums import SessionKind
from theo.model.instruments import CME_EQUITY_CALENDAR, NYSE_CALENDAR
from theo.model.market import ensure_utc

ET = ZoneInfo("America/New_York")
FIRST_YEAR = 1990
LAST_YEAR = 2030
#: NYSE Arca late sessions end at 17:00 on early-close days (market-rules.md §4.1).
EARLY_CLOSE_POST_END = time(17, 0)
#: CME Globex equity futures: 18:00 ET open the evening before, 17:00 ET close (market-rules.md §5.1).
CME_OPEN = time(18, 0)
CME_CLOSE = time(17, 0)
CME_HOLIDAY_HALT = time(13, 0)
#: On NYSE early-close days CME equity futures halt at 12:15 CT (13:15 ET) [VERIFY yearly on the CME calendar].
CME_EARLY_CLOSE = time(13, 15)


@dataclass(frozen=True, slots=True)
class SessionTimes:
    """One trading day. All instants are UTC; ``pre_open``/``post_close`` bound the extended hours."""

    day: date
    pre_open: datetime
    open: datetime
    close: datetime
    post_close: datetime
    early_close: bool

    def kind(self, ts: datetime) -> SessionKind:
        """Which part of this day ``ts`` (UTC-aware) falls in."""
        if self.open <= ts < self.close:
            return SessionKind.REGULAR
        if self.pre_open <= ts < self.open:
            return SessionKind.PRE
        if self.close <= ts < self.post_close:
            return SessionKind.POST
        return SessionKind.CLOSED

    def describe(self) -> list[tuple[str, datetime, datetime]]:
        """The (name, start, end) windows of the day: pre-market, regular, post-market."""
        return [("pre-market", self.pre_open, self.open), ("regular", self.open, self.close),
                ("post-market", self.close, self.post_close)]


#: NYSE holidays (library names, observed dates included) on which CME equity futures do not trade at all.
CME_FULL_CLOSURES = frozenset({"New Year's Day", "Good Friday", "Christmas"})


def _cme_holiday_halts(nyse_days: list[date], names: dict[date, str]) -> set[date]:
    """Weekday NYSE closures on which CME equity futures trade with a 13:00 ET halt.

    CME closes fully on New Year's Day, Good Friday and Christmas (observed days included); on the other
    NYSE holidays, ad-hoc closures and configured extra holidays it trades a shortened day.
    """
    sessions = set(nyse_days)
    out: set[date] = set()
    d = nyse_days[0]
    while d <= nyse_days[-1]:
        if d.weekday() < 5 and d not in sessions and names.get(d) not in CME_FULL_CLOSURES:
            out.add(d)
        d += timedelta(days=1)
    return out


def _holiday_names(xnys: object, extra: set[date]) -> dict[date, str]:
    """Names of NYSE closures: the library's holiday rules, its ad-hoc list and the configured extras."""
    names: dict[date, str] = {}
    regular = xnys.regular_holidays.holidays(  # type: ignore[attr-defined]
        f"{FIRST_YEAR}-01-01", f"{LAST_YEAR}-12-31", return_name=True)
    for ts, name in regular.items():
        names[ts.date()] = str(name)
    for ts in xnys.adhoc_holidays:  # type: ignore[attr-defined]
        names.setdefault(ts.date(), "ad-hoc closure")
    for d in extra:
        names.setdefault(d, "extra holiday (config market.extra_holidays)")
    return names


@lru_cache(maxsize=8192)
def et_date(ts: datetime) -> date:
    """The New York calendar date of an aware instant (cached: the trading path asks it for every fill)."""
    return ts.astimezone(ET).date()


def _et(day: date, t: time) -> datetime:
    return datetime.combine(day, t, tzinfo=ET).astimezone(UTC)


class MarketCalendar:
    """Sessions of one calendar (``XNYS`` or ``CME_EQUITY``) between 1990 and 2030.

    Look-ups are O(log n) on precomputed arrays, cheap enough for the per-tick quality gate.
    """

    def __init__(self, name: str = NYSE_CALENDAR, market: MarketConfig | None = None) -> None:
        if name not in (NYSE_CALENDAR, CME_EQUITY_CALENDAR):
            raise CalendarError(f"unknown calendar {name!r}; known: {NYSE_CALENDAR}, {CME_EQUITY_CALENDAR}")
        self.name = name
        self.market = market or MarketConfig()
        self._zone = ZoneInfo(self.market.timezone)
        import exchange_calendars as xcals

        with warnings.catch_warnings():
            # exchange_calendars 4.x trips a pandas deprecation warning of its own on construction.
            warnings.simplefilter("ignore")
            xnys = xcals.get_calendar("XNYS", start=f"{FIRST_YEAR}-01-01", end=f"{LAST_YEAR}-12-31")
        extra = set(self.market.extra_holidays)
        days: list[date] = []
        early_close: dict[date, time] = {}
        schedule = xnys.schedule
        closes_et = schedule["close"].dt.tz_convert(ET.key)
        for label, close in zip(schedule.index, closes_et, strict=True):
            d = label.date()
            if d in extra:
                continue
            days.append(d)
            close_et = time(close.hour, close.minute)
            # The library's close, not a fixed 13:00: half days closed at 14:00 ET before 1993.
            if close_et < time(16, 0):
                early_close[d] = close_et
        self._names = _holiday_names(xnys, extra)
        self._holiday_halts: set[date] = set()
        if name == CME_EQUITY_CALENDAR:
            self._holiday_halts = _cme_holiday_halts(days, self._names)
            days = sorted(set(days) | self._holiday_halts)
        self._early_close = early_close
        self._sessions: list[SessionTimes] = [self._build(d) for d in days]
        self._opens = [s.pre_open for s in self._sessions]
        self._index = {s.day: i for i, s in enumerate(self._sessions)}
        self._days = [s.day for s in self._sessions]

    def _wall(self, day: date, t: time) -> datetime:
        return datetime.combine(day, t, tzinfo=self._zone).astimezone(UTC)

    def _build(self, d: date) -> SessionTimes:
        m = self.market
        early = d in self._early_close
        if self.name == NYSE_CALENDAR:
            close = _et(d, self._early_close[d]) if early else self._wall(d, m.close_time)
            post = _et(d, EARLY_CLOSE_POST_END) if early else self._wall(d, m.post_market_end)
            return SessionTimes(d, self._wall(d, m.pre_market_start), self._wall(d, m.open_time), close,
                                max(post, close), early)
        # CME equity futures: the trading day ``d`` starts 18:00 ET on the previous calendar day
        # (Sunday evening for Monday) and ends 17:00 ET; 13:00 ET on NYSE holidays it trades through,
        # 13:15 ET on NYSE early-close days (market-rules.md §5.1).
        start = _et(d - timedelta(days=1), CME_OPEN)
        if d in self._holiday_halts:
            end = _et(d, CME_HOLIDAY_HALT)
        elif early:
            end = _et(d, CME_EARLY_CLOSE)
        else:
            end = _et(d, CME_CLOSE)
        return SessionTimes(d, start, start, end, end, early or d in self._holiday_halts)

    # -- dates ---------------------------------------------------------------------------------------------
    def _check(self, d: date) -> None:
        if not FIRST_YEAR <= d.year <= LAST_YEAR:
            raise CalendarError(f"{d} is outside the calendar range {FIRST_YEAR}–{LAST_YEAR}")

    def is_session(self, d: date) -> bool:
        self._check(d)
        return d in self._index

    def is_early_close(self, d: date) -> bool:
        """A session that ends early: an NYSE half day, or for CME a holiday halt or half day."""
        s = self.session(d)
        return s is not None and s.early_close

    def is_holiday(self, d: date) -> bool:
        """A weekday on which the exchange is closed."""
        self._check(d)
        return d.weekday() < 5 and d not in self._index

    def holiday_name(self, d: date) -> str | None:
        """Why the exchange is closed on weekday ``d`` (``None`` when it is open or a weekend)."""
        if not self.is_holiday(d):
            return None
        return self._names.get(d, "unscheduled closure")

    def holidays(self, year: int) -> list[tuple[date, str]]:
        """Weekday closures of ``year`` with their names, in date order."""
        self._check(date(year, 1, 1))
        d, out = date(year, 1, 1), []
        while d.year == year:
            name = self.holiday_name(d)
            if name is not None:
                out.append((d, name))
            d += timedelta(days=1)
        return out

    def early_closes(self, year: int) -> list[SessionTimes]:
        """Sessions of ``year`` that end early (for CME also the NYSE-holiday halts)."""
        return [s for s in self.sessions_in_range(date(year, 1, 1), date(year, 12, 31)) if s.early_close]

    def nyse_holiday_name(self, d: date) -> str | None:
        """The NYSE holiday behind a CME holiday halt (or an NYSE closure), if any."""
        return self._names.get(d)

    def session(self, d: date) -> SessionTimes | None:
        self._check(d)
        i = self._index.get(d)
        return None if i is None else self._sessions[i]

    def sessions_in_range(self, start: date, end: date) -> list[SessionTimes]:
        self._check(start)
        self._check(end)
        return self._sessions[bisect_left(self._days, start):bisect_right(self._days, end)]

    def next_session(self, d: date) -> date:
        """The first session strictly after ``d``."""
        nxt = d + timedelta(days=1)
        while not self.is_session(nxt):
            nxt += timedelta(days=1)
        return nxt

    def previous_session(self, d: date) -> date:
        """The last session strictly before ``d``."""
        prv = d - timedelta(days=1)
        while not self.is_session(prv):
            prv -= timedelta(days=1)
        return prv

    def business_days_back(self, d: date, n: int) -> list[date]:
        """The ``n`` sessions ending with ``d`` (``d`` included when it is a session), oldest first."""
        out: list[date] = []
        cur = d if self.is_session(d) else self.previous_session(d)
        while len(out) < n:
            out.append(cur)
            cur = self.previous_session(cur)
        return out[::-1]

    # -- instants ------------------------------------------------------------------------------------------
    def session_at(self, ts: datetime) -> SessionTimes | None:
        """The session whose extended hours contain ``ts`` (UTC-aware), or ``None`` when closed."""
        if ts.tzinfo is not UTC:  # fast path: the feeds already deliver UTC
            try:
                ts = ensure_utc(ts)
            except ValueError as exc:
                raise CalendarError(str(exc)) from None
        if not FIRST_YEAR <= ts.year <= LAST_YEAR:
            self._check(ts.date())
        i = bisect_right(self._opens, ts) - 1
        if i < 0:
            return None
        s = self._sessions[i]
        return s if ts < s.post_close else None

    def session_kind(self, ts: datetime) -> SessionKind:
        s = self.session_at(ts)
        return SessionKind.CLOSED if s is None else s.kind(ts)

    def is_open(self, ts: datetime, *, extended: bool = False) -> bool:
        kind = self.session_kind(ts)
        return kind is SessionKind.REGULAR or (extended and kind in (SessionKind.PRE, SessionKind.POST))


@lru_cache(maxsize=16)
def _cached(name: str, market_json: str) -> MarketCalendar:
    return MarketCalendar(name, MarketConfig.model_validate_json(market_json))


def get_calendar(name: str = NYSE_CALENDAR, market: MarketConfig | None = None) -> MarketCalendar:
    """A shared calendar instance per (name, market settings); building one takes ~0.2 s."""
    return _cached(name, (market or MarketConfig()).model_dump_json())
