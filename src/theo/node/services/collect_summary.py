"""What a collector collected, per symbol: the counts a trader checks at the session's end.

Every tick a feed delivers is *received*; it is then either *accepted* by the quality gate or *rejected*
with a reason (``duplicate``, ``out_of_order``, ``outside_session`` ...). Accepted ticks are *stored*
(new rows the database took; *already stored* counts ticks it held before, such as a second collection
of the same data), or *spooled* while the database was out and *replayed* when it came back.
A tick the bar aggregator found too late for its bar is stored but counted under ``late_for_bars``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from theo.core.calendar import ET, MarketCalendar
from theo.core.time import exchange_time, from_us
from theo.data.bars.timeframes import session_segments


@dataclass
class SymbolSummary:
    """The counts of one symbol (see the module docstring for the words)."""

    symbol: str
    received: int = 0
    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    late_for_bars: int = 0
    stored: int = 0
    known: int = 0
    spooled: int = 0
    replayed: int = 0
    bars: int = 0
    first: datetime | None = None
    last: datetime | None = None
    sources: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {"symbol": self.symbol, "received": self.received, "accepted": self.accepted,
                "rejected": dict(sorted(self.rejected.items())), "late_for_bars": self.late_for_bars,
                "stored": self.stored, "already_stored": self.known, "spooled": self.spooled,
                "replayed": self.replayed, "bars": self.bars,
                "first_tick": self.first.isoformat() if self.first else None,
                "last_tick": self.last.isoformat() if self.last else None, "sources": dict(self.sources)}


@dataclass
class CollectSummary:
    """A collector session: per-symbol counts, the feed, the database outages and the spool."""

    feed: str
    started: datetime
    ended: datetime | None = None
    symbols: dict[str, SymbolSummary] = field(default_factory=dict)
    outages: int = 0
    spool_pending: bool = False  # records still in the spool when the session ended (replayed at next start)
    spool_torn_bytes: int = 0  # an incomplete last record cut off at start (a write a crash interrupted)
    stop_reason: str = ""

    def symbol(self, symbol: str) -> SymbolSummary:
        s = self.symbols.get(symbol)
        if s is None:
            s = self.symbols[symbol] = SymbolSummary(symbol)
        return s

    def as_dict(self) -> dict[str, Any]:
        return {"feed": self.feed, "started": self.started.isoformat(),
                "ended": self.ended.isoformat() if self.ended else None, "stop_reason": self.stop_reason,
                "outages": self.outages, "spool_pending": self.spool_pending,
                "spool_torn_bytes": self.spool_torn_bytes,
                "symbols": [self.symbols[s].as_dict() for s in sorted(self.symbols)]}

    def days(self) -> list[str]:
        """The New York dates the collected ticks fall on (the table shows times of day only)."""
        stamps = [t for s in self.symbols.values() for t in (s.first, s.last) if t is not None]
        return sorted({t.astimezone(ET).date().isoformat() for t in stamps})

    def rows(self) -> list[list[str]]:
        """One table row per symbol, times of day in New York time (what ``theo collect`` prints)."""
        out = []
        for name in sorted(self.symbols):
            s = self.symbols[name]
            rejected = ", ".join(f"{r} {n:,}" for r, n in sorted(s.rejected.items())) or "-"
            if s.late_for_bars:
                rejected += f" (late for bars {s.late_for_bars:,})"
            out.append([name, f"{s.received:,}", f"{s.accepted:,}", rejected, f"{s.stored:,}", f"{s.known:,}",
                        f"{s.spooled:,}", f"{s.replayed:,}", f"{s.bars:,}", exchange_time(s.first, date=False),
                        exchange_time(s.last, date=False), ", ".join(sorted(s.sources)) or self.feed])
        return out

    HEADERS = ("symbol", "received", "accepted", "rejected", "stored", "already stored", "spooled", "replayed",
               "bars", "first", "last", "source")


class DayEnds:
    """When a trading day is over: the end of its last session segment (the post-market's, 20:00 New York)."""

    def __init__(self, calendar: MarketCalendar) -> None:
        self.calendar = calendar
        self._next: datetime | None = None

    def passed(self, now: datetime) -> bool:
        """True once per trading day, at the first ``now`` past its end (time moves forward only)."""
        if self._next is None:
            self._next = self._end_after(now)
        if now < self._next:
            return False
        self._next = self._end_after(now)
        return True

    def _end_after(self, now: datetime) -> datetime:
        cal = self.calendar
        day = now.astimezone(ET).date()
        if not cal.is_session(day):
            day = cal.next_session(day)
        end = from_us(session_segments(cal, day)[-1].end_us)
        if end <= now:
            end = from_us(session_segments(cal, cal.next_session(day))[-1].end_us)
        return end
