"""Signal expiry by scanner type and expiry kind, on the NYSE calendar (holidays, early closes)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from theo.core.calendar import get_calendar
from theo.strategy.scanner.expiry import expiry_for, option_expiration, third_friday

CAL = get_calendar("XNYS")


@pytest.mark.parametrize(
    ("ts", "expiry", "kind", "expected"),
    [
        # Tuesday 2019-02-12, 10:00 New York.
        (datetime(2019, 2, 12, 15, 0, tzinfo=UTC), "weekly", "intraday", datetime(2019, 2, 12, 21, 0, tzinfo=UTC)),
        (datetime(2019, 2, 12, 15, 0, tzinfo=UTC), "weekly", "positional", datetime(2019, 2, 15, 21, 0, tzinfo=UTC)),
        (datetime(2019, 2, 12, 15, 0, tzinfo=UTC), "monthly", "positional", datetime(2019, 2, 28, 21, 0, tzinfo=UTC)),
        # Week of Good Friday 2019-04-19: the last session is Thursday (EDT, close 20:00 UTC).
        (datetime(2019, 4, 15, 14, 0, tzinfo=UTC), "weekly", "positional", datetime(2019, 4, 18, 20, 0, tzinfo=UTC)),
        # Thanksgiving week 2019: Friday 11-29 closes early at 13:00 New York.
        (datetime(2019, 11, 25, 15, 0, tzinfo=UTC), "weekly", "positional", datetime(2019, 11, 29, 18, 0, tzinfo=UTC)),
        # A post-market signal expires at the end of that day's post-market.
        (datetime(2019, 2, 15, 22, 0, tzinfo=UTC), "weekly", "positional", datetime(2019, 2, 16, 1, 0, tzinfo=UTC)),
    ],
)
def test_expiry(ts: datetime, expiry: str, kind: str, expected: datetime) -> None:
    assert expiry_for(ts, expiry, kind, CAL) == expected  # type: ignore[arg-type]


def test_a_holiday_signal_expires_at_the_end_of_its_day() -> None:
    presidents_day = datetime(2019, 2, 18, 15, 0, tzinfo=UTC)
    got = expiry_for(presidents_day, "weekly", "intraday", CAL)
    assert got == datetime(2019, 2, 19, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ts", "expiry", "expected"),
    [
        # Tuesday 2019-02-12: this week's Friday; the month's third Friday is the same day.
        (datetime(2019, 2, 12, 15, 0, tzinfo=UTC), "weekly", date(2019, 2, 15)),
        (datetime(2019, 2, 12, 15, 0, tzinfo=UTC), "monthly", date(2019, 2, 15)),
        # Friday itself: the series expiring today is still open.
        (datetime(2019, 2, 15, 15, 0, tzinfo=UTC), "weekly", date(2019, 2, 15)),
        # After February's third Friday the monthly series is March's (2019-03-15).
        (datetime(2019, 2, 19, 15, 0, tzinfo=UTC), "monthly", date(2019, 3, 15)),
        (datetime(2019, 2, 19, 15, 0, tzinfo=UTC), "weekly", date(2019, 2, 22)),
        # Good Friday 2019-04-19 (the third Friday of April): the series expires on Thursday 04-18.
        (datetime(2019, 4, 15, 14, 0, tzinfo=UTC), "weekly", date(2019, 4, 18)),
        (datetime(2019, 4, 15, 14, 0, tzinfo=UTC), "monthly", date(2019, 4, 18)),
        # December rolls over to January's third Friday.
        (datetime(2019, 12, 23, 15, 0, tzinfo=UTC), "monthly", date(2020, 1, 17)),
    ],
)
def test_option_expiration(ts: datetime, expiry: str, expected: date) -> None:
    assert option_expiration(ts, expiry, CAL) == expected  # type: ignore[arg-type]
    assert expected.weekday() in (3, 4)


def test_third_friday() -> None:
    assert [third_friday(2026, m) for m in (12,)] + [third_friday(2027, m) for m in (3, 9, 12)] == [
        date(2026, 12, 18), date(2027, 3, 19), date(2027, 9, 17), date(2027, 12, 17)]  # market-rules.md §5.1
