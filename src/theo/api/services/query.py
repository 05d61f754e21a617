"""What every list read shares: paging, time bounds, choices and numbers checked with errors that name the
field and the value."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Generic, TypeVar

from pydantic import BaseModel

from theo.api.services.errors import Invalid
from theo.core.calendar import ET

MAX_LIMIT = 1000
T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list and how many items match in all."""

    items: list[T]
    total: int


def check_page(limit: int, offset: int, max_limit: int = MAX_LIMIT) -> None:
    """Refuse a page size outside 1..``max_limit`` or a negative offset."""
    if not 1 <= limit <= max_limit:
        raise Invalid(f"limit={limit} is out of range; give 1 to {max_limit}", field="limit")
    if offset < 0:
        raise Invalid(f"offset={offset} is negative; give 0 or more", field="offset")


def time_bound(value: str | None, field: str, *, end: bool = False) -> datetime | None:
    """``YYYY-MM-DD`` (an exchange-time date; as an end bound the whole day is included) or an ISO-8601 time
    (UTC when it has no offset), as an aware UTC datetime."""
    if value is None or value == "":
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day + timedelta(days=1) if end else day, time(0), tzinfo=ET).astimezone(UTC)
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"{field}={value!r} is not a date or time; use YYYY-MM-DD (exchange date) or ISO-8601 "
                      "such as 2024-03-01T14:30:00Z", field=field) from None
    return (ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)).astimezone(UTC)


def time_range(start: str | None, end: str | None) -> tuple[datetime | None, datetime | None]:
    """``from``/``to`` query values as ``[start, end)``; refuse a range that ends before it starts."""
    lo, hi = time_bound(start, "from"), time_bound(end, "to", end=True)
    if lo is not None and hi is not None and hi <= lo:
        raise Invalid(f"from={start} is not before to={end}; swap them", field="from")
    return lo, hi


def choice(value: str | None, allowed: Iterable[str], field: str, *, upper: bool = False) -> str | None:
    """``value`` if it is one of ``allowed`` (compared case-insensitively), else :class:`Invalid`."""
    if value is None or value == "":
        return None
    options = list(allowed)
    v = value.upper() if upper else value.lower()
    if v not in options:
        raise Invalid(f"{field}={value!r} is not one of {', '.join(options)}", field=field)
    return v


def symbol_value(value: str | None, field: str = "symbol") -> str | None:
    """A symbol as stored (upper case); refuse one with characters no symbol has."""
    if value is None or value == "":
        return None
    v = value.strip().upper()
    if not v or len(v) > 32 or not all(c.isalnum() or c in "._-/ " for c in v):
        raise Invalid(f"{field}={value!r} is not a symbol (letters, digits and . _ - / only)", field=field)
    return v

