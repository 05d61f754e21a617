"""Filling a switch's gap from a feed's REST aggregates.

At a switch the route knows the exchange time of the old feed's last print (the gap's start) and, once the
new feed forwards its first print, the gap's end. Prints inside the gap are lost to both streams, so the
minutes lying wholly inside ``[start, end)`` are asked of the new feed's history (any :class:`Backfill`,
e.g. Polygon's aggregates endpoint) and forwarded as 1-minute bars flagged ``backfill``. The minutes at the
gap's edges keep the bars built from the prints that did arrive: a partial vendor bar would collide with
them. When the recorder stores them, the store also rebuilds the stored higher-timeframe bars that hold one
(:func:`theo.persistence.writer.correct_backfilled`); a running engine's strategies are not re-fed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from theo.model.market import Bar

BACKFILL_FLAG = "backfill"
MINUTE = timedelta(minutes=1)


class Backfill(Protocol):
    """A source of historical aggregates (Polygon's REST ``/v2/aggs``, or any other)."""

    def aggregates(self, symbol: str, start: datetime, end: datetime, timespan: str = "minute",
                   multiplier: int = 1) -> list[Bar]:
        """Bars of ``symbol`` starting in ``[start, end)``, oldest first."""
        ...


def whole_minutes(start: datetime, end: datetime) -> tuple[datetime, datetime] | None:
    """The span of the minutes lying wholly inside ``[start, end)``; ``None`` when no whole minute fits."""
    first = start.replace(second=0, microsecond=0)
    if first < start:
        first += MINUTE
    last = end.replace(second=0, microsecond=0)
    return (first, last) if last - first >= MINUTE else None


def gap_bars(bars: list[Bar], symbol: str, span: tuple[datetime, datetime], source: str) -> list[Bar]:
    """The backfill's 1-minute bars of ``symbol`` inside ``span``, with their provenance and the flag."""
    lo, hi = span
    out = []
    for b in bars:
        if b.symbol == symbol and lo <= b.start and b.end <= hi and b.end - b.start == MINUTE:
            out.append(Bar(b.symbol, "1m", b.start, b.end, b.open, b.high, b.low, b.close, b.volume,
                           b.tick_count, b.session, source, b.flags | {BACKFILL_FLAG}))
    return out
