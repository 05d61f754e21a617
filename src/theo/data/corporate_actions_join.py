"""Symbol changes join a symbol's history on read: today's ticker continues the stored series of its old one.

After FB -> META (ex-date 2022-06-09) the store keeps FB's bars under FB and META's from that day under META.
A reader that adjusts prices reads META as FB's bars strictly before the ex-date followed by META's from it on,
and adjusts the whole series for the actions of both (a split of FB before the change rescales the FB part).
Chains join all the way back (A -> B -> C reads C as A, then B, then C). Stored rows are never changed.

* Where both tickers have a bar at the same start (a vendor filed the history under both): from the ex-date
  on only the new ticker's rows count; before it the old ticker's row is used, the new ticker's own earlier
  rows only where the old one has none. No bar appears twice.
* Reading the old ticker returns its own stored bars only, whatever happened after its change.
* Unadjusted (raw) reads join nothing: every symbol is read as stored.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any, Protocol

import numpy as np

from theo.core.calendar import ET
from theo.data.adjust import boundary_us, source_rank
from theo.data.bars.stored import StoredBarColumns
from theo.model.enums import Adjustment, CorporateActionKind
from theo.model.reference import CorporateAction


class BarSource(Protocol):
    """Stored bars, read column-wise (the bar repository)."""

    def bar_columns(self, symbol: str, timeframe: str, start: datetime | None = None,
                    end: datetime | None = None) -> StoredBarColumns:
        """Bars of ``symbol`` in ``timeframe`` starting in ``[start, end)`` (open-ended when None), oldest first."""
        ...


class ActionSource(Protocol):
    """Stored corporate actions, with the symbol changes into a ticker (the corporate action repository)."""

    def actions(self, symbol: str, start: date | None = None, end: date | None = None) -> list[CorporateAction]:
        """The actions of ``symbol`` with an ex-date in ``[start, end]``, oldest first."""
        ...

    def changes_into(self, symbol: str) -> list[CorporateAction]:
        """The symbol changes whose new ticker is ``symbol``."""
        ...


def lineage(source: ActionSource, symbol: str) -> list[CorporateAction]:
    """The symbol changes that led to ``symbol``, newest first (``[B -> C, A -> B]`` for ``C``).

    Each step goes strictly back in time, so a ticker that was reused (A -> B, later B -> A) cannot loop. Of
    several changes into one ticker the latest before the later change counts (on one day: the source first
    in :data:`theo.data.adjust.SOURCE_PRIORITY`).
    """
    chain: list[CorporateAction] = []
    current, before = symbol, None
    while True:
        found = [c for c in source.changes_into(current)
                 if c.symbol != current and (before is None or c.ex_date < before)]
        if not found:
            return chain
        best = min(found, key=lambda c: (-c.ex_date.toordinal(), source_rank(c.source), c.symbol))
        chain.append(best)
        current, before = best.symbol, best.ex_date


def _cut(ex_date: date) -> datetime:
    """The instant an ex-date begins (00:00 New York), as :func:`theo.data.adjust.boundary_us` draws it."""
    return datetime.combine(ex_date, time(0), tzinfo=ET)


def merge_before(older: StoredBarColumns, newer: StoredBarColumns, cut_us: int) -> StoredBarColumns:
    """``newer`` continuing ``older`` (whose bars all start before ``cut_us``): ``newer``'s bars from
    ``cut_us`` on, and before it only at starts ``older`` does not have. The result carries ``newer``'s symbol."""
    if len(older) == 0:
        return newer
    keep = (newer.start_us >= cut_us) | ~np.isin(newer.start_us, older.start_us)
    order = np.argsort(np.concatenate([older.start_us, newer.start_us[keep]]), kind="stable")
    columns: dict[str, Any] = {f.name: np.concatenate([getattr(older, f.name), getattr(newer, f.name)[keep]])[order]
               for f in dataclasses.fields(newer) if isinstance(getattr(newer, f.name), np.ndarray)}
    return dataclasses.replace(newer, **columns)


def joined_columns(bars: BarSource, chain: Sequence[CorporateAction], symbol: str, timeframe: str,
                   start: datetime | None = None, end: datetime | None = None) -> StoredBarColumns:
    """``symbol``'s bars in ``[start, end)`` with the older tickers of ``chain`` (from :func:`lineage`) before
    each change's ex-date."""
    out = bars.bar_columns(symbol, timeframe, start, end)
    for change in chain:  # newest first: each older ticker goes in front of what is joined so far
        cut = _cut(change.ex_date)
        if start is not None and start >= cut:
            break  # the window starts after this change: older tickers have nothing in it
        older = bars.bar_columns(change.symbol, timeframe, start, cut if end is None else min(end, cut))
        out = merge_before(older, out, boundary_us(change.ex_date))
    return out


def joined_actions(source: ActionSource, symbol: str, chain: Sequence[CorporateAction]) -> list[CorporateAction]:
    """``symbol``'s actions, each older ticker's actions up to its change's ex-date and the changes themselves,
    oldest first. The same split stored under both tickers counts once when adjusting
    (:func:`theo.data.adjust.effective`)."""
    out = list(source.actions(symbol))
    for change in chain:
        out += [a for a in source.actions(change.symbol, end=change.ex_date)
                if a.kind is not CorporateActionKind.SYMBOL_CHANGE]
        out.append(change)
    return sorted(out, key=lambda a: (a.ex_date, a.kind.value, a.symbol))


class JoinedHistory:
    """Stored bars and corporate actions as a reader in ``mode`` sees them: joined across symbol changes
    unless ``mode`` is unadjusted. Pass it wherever a bar store is read (``bar_columns``)."""

    def __init__(self, bars: BarSource, actions: ActionSource, mode: Adjustment) -> None:
        self.bars, self.source, self.mode = bars, actions, mode
        self._chains: dict[str, list[CorporateAction]] = {}

    @property
    def joins(self) -> bool:
        return self.mode is not Adjustment.NONE

    def chain(self, symbol: str) -> list[CorporateAction]:
        """The symbol changes joined into ``symbol``'s series, newest first (none in unadjusted mode)."""
        if not self.joins:
            return []
        if symbol not in self._chains:
            self._chains[symbol] = lineage(self.source, symbol)
        return self._chains[symbol]

    def bar_columns(self, symbol: str, timeframe: str, start: datetime | None = None,
                    end: datetime | None = None) -> StoredBarColumns:
        """``symbol``'s bars in ``[start, end)``, with its older tickers' history joined (see the module)."""
        return joined_columns(self.bars, self.chain(symbol), symbol, timeframe, start, end)

    def actions(self, symbol: str) -> list[CorporateAction]:
        """The actions that adjust ``symbol``'s joined series (its own only in unadjusted mode)."""
        return joined_actions(self.source, symbol, self.chain(symbol))

    def adjusting(self, symbols: Sequence[str]) -> dict[str, list[CorporateAction]]:
        """Each symbol's actions for adjusting its series: none in unadjusted mode (as
        :func:`theo.cli.adjust_opts.stored_actions` gives them)."""
        return {s: self.actions(s) if self.joins else [] for s in symbols}
