"""Cron-like scanner schedules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from theo.strategy.scanner.schedule import CronError, parse_cron


def ny(h: int, m: int, day: int = 12) -> datetime:
    # February 2019: New York is UTC-5; the 12th is a Tuesday, the 16th a Saturday.
    return datetime(2019, 2, day, h + 5, m, tzinfo=UTC)


def test_every_five_minutes_on_weekday_hours() -> None:
    s = parse_cron("*/5 9-15 * * mon-fri")
    assert s.matches(ny(9, 35))
    assert s.matches(ny(15, 55))
    assert not s.matches(ny(9, 36))
    assert not s.matches(ny(16, 0))
    assert not s.matches(ny(10, 0, day=16))  # Saturday


def test_lists_ranges_steps_and_names() -> None:
    s = parse_cron("0,30 10-14/2 1-15 feb,mar tue")
    assert s.minutes == frozenset({0, 30})
    assert s.hours == frozenset({10, 12, 14})
    assert s.months == frozenset({2, 3})
    assert s.weekdays == frozenset({2})
    # Day of month and day of week both restricted: either matches (cron rule).
    assert s.matches(ny(10, 30, day=12))
    assert s.matches(ny(12, 0, day=14))  # Thursday but inside 1-15
    assert not s.matches(ny(12, 0, day=21))  # Thursday outside 1-15


def test_sunday_is_0_or_7() -> None:
    assert parse_cron("* * * * 7").weekdays == parse_cron("* * * * sun").weekdays == frozenset({0})


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("* * * *", "has 4 fields"),
        ("60 * * * *", "minute field: 60 is outside 0-59"),
        ("* 24 * * *", "hour field: 24 is outside 0-23"),
        ("* * 0 * *", "day of month field: 0 is outside 1-31"),
        ("* * * foo *", "month field: 'foo' is not a number"),
        ("*/0 * * * *", "step '0' must be a positive"),
        ("5-1 * * * *", "runs backwards"),
        ("1,,2 * * * *", "empty list item"),
        ("* * * * funday", "day of week field"),
    ],
)
def test_bad_expressions_name_the_field(expression: str, fragment: str) -> None:
    with pytest.raises(CronError, match=fragment.replace("(", r"\(").replace("*", r"\*")):
        parse_cron(expression)
