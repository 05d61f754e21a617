"""Properties of the session look-ups over random instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from theo.core.calendar import ET, get_calendar
from theo.model.enums import SessionKind

INSTANTS = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC))


@settings(max_examples=300, deadline=None)
@given(INSTANTS)
def test_nyse_instant_belongs_to_the_session_of_its_new_york_date(ts: datetime) -> None:
    cal = get_calendar("XNYS")
    s = cal.session_at(ts)
    kind = cal.session_kind(ts)
    if s is None:
        assert kind is SessionKind.CLOSED
        return
    assert s.day == ts.astimezone(ET).date()
    assert cal.is_session(s.day)
    assert s.pre_open <= ts < s.post_close
    assert (kind is SessionKind.REGULAR) == (s.open <= ts < s.close)
    assert cal.is_open(ts) == (kind is SessionKind.REGULAR)


@settings(max_examples=300, deadline=None)
@given(INSTANTS)
def test_cme_instant_belongs_to_the_trading_day_six_hours_later(ts: datetime) -> None:
    cal = get_calendar("CME_EQUITY")
    s = cal.session_at(ts)
    if s is None:
        et = ts.astimezone(ET)
        # closed: the maintenance hour, a halt, a weekend or a full closure
        assert et.hour == 17 or et.weekday() >= 4 or cal.session((et + timedelta(hours=6)).date()) is None or (
            cal.is_early_close((et + timedelta(hours=6)).date()))
        return
    assert s.day == (ts.astimezone(ET) + timedelta(hours=6)).date()
    assert cal.session_kind(ts) is SessionKind.REGULAR
