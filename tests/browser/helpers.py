"""What the browser tests read off a page: money and numbers as a trader sees them, waits on the running engine."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import pytest

from tests.browser.conftest import Server

T = TypeVar("T")
_NUMBER = re.compile(r"[-−]?\d[\d,]*(?:\.\d+)?")


def numbers(text: str) -> list[Decimal]:
    """Every number in ``text`` as shown (``$100,012.50``, ``−1.2``, ``(35.00)`` reads as negative)."""
    found = []
    for m in _NUMBER.finditer(text):
        raw = m.group().replace(",", "").replace("−", "-")
        negative = m.start() > 0 and text[m.start() - 1] == "(" and text[m.end():m.end() + 1] == ")"
        found.append(-Decimal(raw) if negative else Decimal(raw))
    return found


def money(text: str) -> Decimal:
    """The one amount in ``text``; a minus sign before the currency symbol counts (``-$12.00``)."""
    values = numbers(text)
    assert len(values) == 1, f"expected one amount in {text!r}, found {values}"
    value = values[0]
    if value > 0 and re.search(r"[-−]\s*\$", text):
        value = -value
    return value


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 60, every: float = 0.5) -> T:
    """Poll ``probe`` until it returns something truthy; fail saying ``what`` did not happen."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(every)


def go(page: Any, name: str) -> None:
    """Open a page through the navigation (``nav-<name>``)."""
    page.get_by_test_id(f"nav-{name}").click()


def csrf(page: Any) -> str:
    """The CSRF token of the page's session (``/auth/me``), for requests made as the browser."""
    r = page.request.get("/api/v1/auth/me")
    assert r.ok, r.text()
    return str(r.json()["csrf_token"])


def stored_bars(server: Server, symbol: str, timeframe: str) -> int:
    """How many ``timeframe`` bars of ``symbol`` the running engine has stored (what the charts read)."""
    with server.api("viewer") as api:
        r = api.get("/charts/bars", params={"symbol": symbol, "timeframe": timeframe, "limit": 1000})
    return len(r.json()["bars"]) if r.status_code == 200 else 0
