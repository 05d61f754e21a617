"""Signal expiry by scanner type and expiry kind, on the NYSE calendar (holidays, early closes)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from theo.calendar import get_calendar
from theo.scanner.expiry import expiry_for

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
