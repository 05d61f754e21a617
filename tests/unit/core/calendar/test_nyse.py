"""NYSE (XNYS) sessions: the 2026/2027 holiday table of market-rules.md §4.2, early closes, DST, extras."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from theo.config.market import MarketConfig
from theo.core.calendar import ET, get_calendar
from theo.core.errors import CalendarError
from theo.model.enums import SessionKind

# market-rules.md §4.2
HOLIDAYS = {
    2026: ["2026-01-01", "2026-01-19", "2026-02-16", "2026-04-03", "2026-05-25", "2026-06-19", "2026-07-03",
           "2026-09-07", "2026-11-26", "2026-12-25"],
    2027: ["2027-01-01", "2027-01-18", "2027-02-15", "2027-03-26", "2027-05-31", "2027-06-18", "2027-07-05",
           "2027-09-06", "2027-11-25", "2027-12-24"],
}
EARLY_CLOSES = {2026: ["2026-11-27", "2026-12-24"], 2027: ["2027-11-26"]}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("year", [2026, 2027])
def test_holidays_match_market_rules_table(year: int) -> None:
    cal = get_calendar("XNYS")
    assert [d.isoformat() for d, _ in cal.holidays(year)] == HOLIDAYS[year]
    for d in HOLIDAYS[year]:
        day = date.fromisoformat(d)
        assert cal.is_holiday(day)
        assert not cal.is_session(day)
        assert cal.session(day) is None


@pytest.mark.parametrize("year", [2026, 2027])
def test_early_closes_match_market_rules_table(year: int) -> None:
    cal = get_calendar("XNYS")
    early = cal.early_closes(year)
    assert [s.day.isoformat() for s in early] == EARLY_CLOSES[year]
    for s in early:
        assert cal.is_early_close(s.day)
        assert s.close.astimezone(ET).time().isoformat() == "13:00:00"
        # NYSE Arca late session ends 17:00 on half days (market-rules.md §4.1)
        assert s.post_close.astimezone(ET).time().isoformat() == "17:00:00"


def test_no_independence_day_early_close_in_2026_or_2027() -> None:
    cal = get_calendar("XNYS")
    assert not cal.is_early_close(date(2026, 7, 2))
    assert not cal.is_early_close(date(2027, 7, 2))


def test_holiday_names_come_from_the_library() -> None:
    cal = get_calendar("XNYS")
    assert cal.holiday_name(date(2026, 11, 26)) == "Thanksgiving"
    assert cal.holiday_name(date(2027, 12, 24)) == "Christmas"
    assert cal.holiday_name(date(2026, 11, 27)) is None  # a (half) session
    assert cal.holiday_name(date(2026, 11, 28)) is None  # a Saturday is a weekend, not a holiday


def test_unscheduled_closure_2025_01_09_is_in_the_library() -> None:
    cal = get_calendar("XNYS")
    assert cal.is_holiday(date(2025, 1, 9))
    assert cal.holiday_name(date(2025, 1, 9)) == "ad-hoc closure"
    assert cal.next_session(date(2025, 1, 8)) == date(2025, 1, 10)


@pytest.mark.parametrize(("day", "open_utc", "close_utc"), [
    (date(2026, 3, 6), utc(2026, 3, 6, 14, 30), utc(2026, 3, 6, 21, 0)),    # Friday before: EST
    (date(2026, 3, 9), utc(2026, 3, 9, 13, 30), utc(2026, 3, 9, 20, 0)),    # Monday after 03-08: EDT
    (date(2026, 10, 30), utc(2026, 10, 30, 13, 30), utc(2026, 10, 30, 20, 0)),
    (date(2026, 11, 2), utc(2026, 11, 2, 14, 30), utc(2026, 11, 2, 21, 0)),  # Monday after 11-01: EST
])
def test_dst_switch_moves_the_utc_open(day: date, open_utc: datetime, close_utc: datetime) -> None:
    s = get_calendar("XNYS").session(day)
    assert s is not None
    assert (s.open, s.close) == (open_utc, close_utc)
    assert s.open.astimezone(ET).time().isoformat() == "09:30:00"


def test_dst_switch_sundays_are_closed() -> None:
    cal = get_calendar("XNYS")
    assert cal.session(date(2026, 3, 8)) is None
    assert cal.session(date(2026, 11, 1)) is None
    assert not cal.is_holiday(date(2026, 3, 8))  # a weekend, not a holiday


def test_session_kind_across_a_summer_day() -> None:
    cal = get_calendar("XNYS")
    assert cal.session_kind(utc(2026, 7, 1, 7, 59)) is SessionKind.CLOSED
    assert cal.session_kind(utc(2026, 7, 1, 8, 0)) is SessionKind.PRE      # 04:00 EDT
    assert cal.session_kind(utc(2026, 7, 1, 13, 30)) is SessionKind.REGULAR
    assert cal.session_kind(utc(2026, 7, 1, 20, 0)) is SessionKind.POST
    assert cal.session_kind(utc(2026, 7, 2, 0, 0)) is SessionKind.CLOSED  # 20:00 EDT
    assert cal.is_open(utc(2026, 7, 1, 19, 59))
    assert not cal.is_open(utc(2026, 7, 1, 21, 0))
    assert cal.is_open(utc(2026, 7, 1, 21, 0), extended=True)


def test_early_close_day_post_market_ends_at_17_et() -> None:
    cal = get_calendar("XNYS")
    assert cal.session_kind(utc(2026, 11, 27, 18, 0)) is SessionKind.POST   # 13:00 EST
    assert cal.session_kind(utc(2026, 11, 27, 22, 0)) is SessionKind.CLOSED  # 17:00 EST


def test_historical_half_day_uses_the_library_close() -> None:
    # Before 1993 some half days closed at 14:00 ET; the library's close wins over a fixed 13:00.
    cal = get_calendar("XNYS")
    closes = {s.close.astimezone(ET).time().hour for s in cal.sessions_in_range(date(1990, 1, 1),
                                                                                date(1992, 12, 31))
              if s.early_close}
    assert closes == {14}


def test_extra_holidays_from_config_close_the_day() -> None:
    market = MarketConfig(extra_holidays=[date(2026, 12, 31)])
    cal = get_calendar("XNYS", market)
    assert cal.is_holiday(date(2026, 12, 31))
    assert cal.holiday_name(date(2026, 12, 31)) == "extra holiday (config market.extra_holidays)"
    assert cal.next_session(date(2026, 12, 30)) == date(2027, 1, 4)
    assert get_calendar("XNYS").is_session(date(2026, 12, 31))


def test_navigation_helpers() -> None:
    cal = get_calendar("XNYS")
    assert cal.previous_session(date(2026, 11, 30)) == date(2026, 11, 27)
    assert cal.business_days_back(date(2026, 11, 30), 3) == [date(2026, 11, 25), date(2026, 11, 27),
                                                            date(2026, 11, 30)]
    assert len(cal.sessions_in_range(date(2026, 1, 1), date(2026, 12, 31))) == 251


def test_errors_name_the_problem() -> None:
    cal = get_calendar("XNYS")
    with pytest.raises(CalendarError, match="outside the calendar range 1990–2030"):
        cal.session(date(1989, 12, 29))
    with pytest.raises(CalendarError, match="no timezone"):
        cal.session_at(datetime(2026, 7, 1, 12, 0))
    with pytest.raises(CalendarError, match="unknown calendar 'LSE'"):
        get_calendar("LSE")
