"""Real 1-minute bars moved onto another day, for scenarios that need a day the data does not cover."""

from __future__ import annotations

import csv
import gzip
from datetime import UTC, date, datetime, timedelta

from tests.conftest import shared_file
from theo.core.calendar import ET, get_calendar
from theo.model.market import Bar


def spy_session_restamped(day: date) -> list[Bar]:
    """SPY's 390 regular 1-minute bars of 2019-02-11 (eqker), re-stamped onto ``day`` at the same ET times.

    Used to replay real prices onto an early-close day such as 2026-11-27 (13:00 ET close).
    """
    path = shared_file("eqker/SPY_1min_2019-02-11_2019-02-15.csv.gz")
    cal = get_calendar("XNYS")
    out = []
    with gzip.open(path, "rt") as fh:
        for row in csv.DictReader(fh):
            local = datetime.fromisoformat(row["ts"])
            if local.date() != date(2019, 2, 11):
                continue
            start = local.replace(tzinfo=None).replace(year=day.year, month=day.month, day=day.day)
            start_utc = start.replace(tzinfo=ET).astimezone(UTC)
            out.append(Bar("SPY", "1m", start_utc, start_utc + timedelta(minutes=1), float(row["open"]),
                           float(row["high"]), float(row["low"]), float(row["close"]), float(row["volume"]), 0,
                           cal.session_kind(start_utc), "eqker"))
    assert len(out) == 390
    return out
