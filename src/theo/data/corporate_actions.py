"""Where corporate actions (dividends, splits) are kept, as the market-data services see it.

A feed that learns of a dividend or split (IBKR's dividend tick, a vendor's file) saves it here; back-adjusting
prices and the data-quality checks read it. Saving the same action again changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from theo.model.reference import CorporateAction


class CorporateActionStore(Protocol):
    """Dividends and splits, one per (symbol, kind, ex-date, source)."""

    def save_actions(self, actions: Sequence[CorporateAction]) -> int:
        """Store new actions and update changed ones; return how many rows were written."""
        ...

    def actions(self, symbol: str, start: date | None = None, end: date | None = None) -> list[CorporateAction]:
        """The actions of ``symbol`` with an ex-date in ``[start, end]``, oldest first."""
        ...
