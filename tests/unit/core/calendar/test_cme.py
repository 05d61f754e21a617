"""CME equity futures (MES/ES) sessions: Sunday-evening open, 17:00 ET close, holiday halts (§5.1)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from theo.config.market import MarketConfig
from theo.core.calendar import ET, get_calendar
from theo.model.enums import SessionKind


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_monday_session_opens_sunday_18_et_and_closes_17_et() -> None:
    s = get_calendar("CME_EQUITY").session(date(2026, 3, 2))
    assert s is not None
    assert s.open == utc(2026, 3, 1, 23, 0)   # Sunday 18:00 EST
    assert s.close == utc(2026, 3, 2, 22, 0)  # Monday 17:00 EST
    assert not s.early_close


def test_dst_sunday_open_is_18_edt() -> None:
    s = get_calendar("CME_EQUITY").session(date(2026, 3, 9))
    assert s is not None
    assert s.open == utc(2026, 3, 8, 22, 0)  # 2026-03-08 is the first EDT day
    assert s.close == utc(2026, 3, 9, 21, 0)


def test_daily_maintenance_break_is_closed() -> None:
    cal = get_calendar("CME_EQUITY")
    assert cal.session_kind(utc(2026, 7, 1, 21, 30)) is SessionKind.CLOSED  # 17:30 EDT
    assert cal.session_kind(utc(2026, 7, 1, 22, 0)) is SessionKind.REGULAR  # 18:00 EDT: Thursday's session
    s = cal.session_at(utc(2026, 7, 1, 22, 0))
    assert s is not None
    assert s.day == date(2026, 7, 2)


def test_saturday_is_closed() -> None:
    cal = get_calendar("CME_EQUITY")
    assert cal.session_kind(utc(2026, 7, 4, 12, 0)) is SessionKind.CLOSED


def test_nyse_holidays_trade_with_a_13_et_halt() -> None:
    cal = get_calendar("CME_EQUITY")
    for d in (date(2026, 1, 19), date(2026, 2, 16), date(2026, 5, 25), date(2026, 6, 19), date(2026, 7, 3),
              date(2026, 9, 7), date(2026, 11, 26)):
        s = cal.session(d)
        assert s is not None, d
        assert s.close.astimezone(ET).time().isoformat() == "13:00:00", d
        assert s.early_close
        assert cal.is_early_close(d)
        assert cal.nyse_holiday_name(d) is not None


def test_full_closures_on_new_year_good_friday_christmas() -> None:
    cal = get_calendar("CME_EQUITY")
    assert [d for d, _ in cal.holidays(2026)] == [date(2026, 1, 1), date(2026, 4, 3), date(2026, 12, 25)]
    # Christmas 2027 is observed Friday 2027-12-24: CME closes too.
    assert [d for d, _ in cal.holidays(2027)] == [date(2027, 1, 1), date(2027, 3, 26), date(2027, 12, 24)]


def test_nyse_half_days_halt_at_13_15_et() -> None:
    s = get_calendar("CME_EQUITY").session(date(2026, 11, 27))
    assert s is not None
    assert s.close.astimezone(ET).time().isoformat() == "13:15:00"
    assert s.open == utc(2026, 11, 26, 23, 0)  # reopens Thanksgiving evening 18:00 ET


def test_session_after_a_full_closure_opens_the_evening_before() -> None:
    s = get_calendar("CME_EQUITY").session(date(2026, 4, 6))
    assert s is not None
    assert s.open == utc(2026, 4, 5, 22, 0)


def test_extra_holiday_becomes_a_halt_day_on_cme() -> None:
    cal = get_calendar("CME_EQUITY", MarketConfig(extra_holidays=[date(2026, 12, 31)]))
    s = cal.session(date(2026, 12, 31))
    assert s is not None
    assert s.close.astimezone(ET).time().isoformat() == "13:00:00"


def test_dst_end_sunday_open_is_18_est() -> None:
    s = get_calendar("CME_EQUITY").session(date(2026, 11, 2))
    assert s is not None
    assert s.open == utc(2026, 11, 1, 23, 0)  # 2026-11-01 is the first EST day
    assert s.close == utc(2026, 11, 2, 22, 0)
    friday = get_calendar("CME_EQUITY").session(date(2026, 10, 30))
    assert friday is not None
    assert friday.close == utc(2026, 10, 30, 21, 0)  # 17:00 EDT
