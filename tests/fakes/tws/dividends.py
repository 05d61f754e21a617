"""Dividend tick (generic tick 456 -> tickString 59) for the fake: ``set_dividends(fake, "AAPL", ...)``.

Kept apart from ``market.py``: it wraps the fake's first-ticks answer of ``reqMktData`` on one instance.
The value is IBKR's "past 12 months,next 12 months,next date,next amount" (e.g. ``0.96,1.04,20261109,0.26``).
"""

from __future__ import annotations

from typing import Any

from tests.fakes.tws import messages as msg
from tests.fakes.tws.server import FakeTws


def set_dividends(fake: FakeTws, symbol: str, past12: float, next12: float, next_date: str,
                  next_amount: float) -> None:
    """Answer generic tick 456 for ``symbol`` with this dividend line."""
    inst = fake._instrument(symbol)
    table: dict[int, str] = fake.__dict__.setdefault("_dividend_ticks", {})
    table[inst.con_id] = f"{past12!r},{next12!r},{next_date},{next_amount!r}"
    if fake.__dict__.get("_dividends_wrapped"):
        return
    original = fake._first_ticks

    def first_ticks(sub: Any, state: Any) -> None:
        original(sub, state)
        if "456" in sub.options.get("generic", ()) and sub.con_id in table:
            sub.session.send(msg.tick_string(sub.req_id, 59, table[sub.con_id]))

    fake.__dict__["_first_ticks"] = first_ticks
    fake.__dict__["_dividends_wrapped"] = True
