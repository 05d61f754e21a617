"""One formatting of instants for people: New York time to the second, zone named."""

from __future__ import annotations

from datetime import UTC, datetime

from theo.core.time import exchange_time


def test_exchange_time_is_new_york_to_the_second_with_its_zone() -> None:
    assert exchange_time(datetime(2026, 12, 4, 14, 31, 5, 987654, tzinfo=UTC)) == "2026-12-04 09:31:05 EST"
    assert exchange_time("2026-07-01T13:30:00.5+00:00") == "2026-07-01 09:30:00 EDT"
    assert exchange_time(datetime(2026, 7, 1, 13, 30)) == "2026-07-01 09:30:00 EDT"  # naive = UTC
    assert exchange_time(datetime(2026, 7, 1, 13, 30, tzinfo=UTC), date=False) == "09:30:00 EDT"
    assert (exchange_time(None), exchange_time("", empty="")) == ("-", "")
