"""Polygon / Massive reference data: splits (``/v3/reference/splits``) and cash dividends
(``/v3/reference/dividends``) as corporate actions for the ``corporate_actions`` table.

The requests go through the same ``massive`` REST client, retries, key handling and error mapping as
:class:`~theo.adapters.polygon.history.PolygonHistory`. The mapping is a pure function per record:

* a split ``split_from`` → ``split_to`` (old → new shares) is a ``split`` when ``split_to > split_from`` and a
  ``reverse_split`` otherwise, with ``ratio = split_to / split_from``; its ``execution_date`` is the ex-date;
* every dividend type (CD regular cash, SC special cash, LT/ST capital gains) is a ``cash_dividend`` of
  ``cash_amount`` per share on its ``ex_dividend_date``; the type and frequency go to the note.

A record with a missing or impossible figure is skipped and logged (``polygon.bad_reference``), never stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from theo.adapters.polygon.history import PolygonHistory
from theo.core.errors import DataError
from theo.core.logging import get_logger
from theo.model.enums import CorporateActionKind
from theo.model.reference import CorporateAction

log = get_logger("theo.polygon")
SOURCE = "polygon"
PAGE_LIMIT = 1000  # the most the reference endpoints return per page
DIVIDEND_TYPES = {"CD": "regular cash", "SC": "special cash", "LT": "long-term capital gain",
                  "ST": "short-term capital gain"}


def _number(value: Any) -> Decimal | None:
    try:
        out = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return out if out.is_finite() and out > 0 else None


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def split_action(symbol: str, split: Any) -> CorporateAction | None:
    """A Polygon split record as a corporate action (``None`` when a figure is missing or impossible)."""
    old, new, ex = _number(split.split_from), _number(split.split_to), _day(split.execution_date)
    if old is None or new is None or ex is None or old == new:
        log.warning("polygon.bad_reference", kind="split", symbol=symbol, record=str(split)[:200])
        return None
    kind = CorporateActionKind.SPLIT if new > old else CorporateActionKind.REVERSE_SPLIT
    return CorporateAction(symbol, kind, ex, ratio=new / old, source=SOURCE,
                           note=f"{new.normalize():f}-for-{old.normalize():f}")


def dividend_action(symbol: str, dividend: Any) -> CorporateAction | None:
    """A Polygon dividend record as a cash dividend (``None`` when a figure is missing or impossible)."""
    amount, ex = _number(dividend.cash_amount), _day(dividend.ex_dividend_date)
    currency = (dividend.currency or "USD").upper()
    if amount is None or ex is None or currency != "USD":
        log.warning("polygon.bad_reference", kind="dividend", symbol=symbol, record=str(dividend)[:200])
        return None
    kind = DIVIDEND_TYPES.get(str(dividend.dividend_type or ""), str(dividend.dividend_type or "cash"))
    freq = f", {dividend.frequency} a year" if dividend.frequency else ""
    try:
        return CorporateAction(symbol, CorporateActionKind.CASH_DIVIDEND, ex, amount=amount,
                               pay_date=_day(dividend.pay_date) if dividend.pay_date else None, source=SOURCE,
                               note=f"{kind}{freq}")
    except DataError:
        return None


class PolygonReference(PolygonHistory):
    """Splits and dividends of symbols (``get_corporate_actions`` of the plan, for Polygon)."""

    def splits(self, symbol: str, since: date | None = None) -> list[CorporateAction]:
        """Splits and reverse splits of ``symbol`` (from ``since`` on), oldest first."""
        key = symbol.strip().upper()
        first = since.isoformat() if since else None
        rows = self._pages(f"Polygon splits of {key}", lambda c: c.list_splits(
            ticker=key, execution_date_gte=first, limit=PAGE_LIMIT, order="asc", sort="execution_date"))
        return [a for r in rows if (a := split_action(key, r)) is not None]

    def dividends(self, symbol: str, since: date | None = None) -> list[CorporateAction]:
        """Cash dividends of ``symbol`` (ex-dates from ``since`` on), oldest first."""
        key = symbol.strip().upper()
        first = since.isoformat() if since else None
        rows = self._pages(f"Polygon dividends of {key}", lambda c: c.list_dividends(
            ticker=key, ex_dividend_date_gte=first, limit=PAGE_LIMIT, order="asc", sort="ex_dividend_date"))
        return [a for r in rows if (a := dividend_action(key, r)) is not None]

    def actions(self, symbols: Sequence[str], since: date | None = None) -> dict[str, list[CorporateAction]]:
        """Splits and dividends per symbol, oldest first; one action per (kind, ex-date)."""
        out: dict[str, list[CorporateAction]] = {}
        for symbol in symbols:
            found = {(a.kind, a.ex_date): a for a in (*self.splits(symbol, since), *self.dividends(symbol, since))}
            out[symbol] = sorted(found.values(), key=lambda a: (a.ex_date, a.kind.value))
            log.info("polygon.corporate_actions", symbol=symbol, actions=len(out[symbol]))
        return out
