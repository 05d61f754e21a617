"""The paper run's record of closed 1-minute bars in the store's ``bars`` table (what the dashboard charts read).

The live run records its bars through the market-data pipeline's recorder; the paper run feeds its node straight
from the synthetic market or a replay, so this rolls the same items up to 1-minute bars (the engine's
session-aligned rollup) and writes the closed ones in batches. Writes are idempotent (the table's key is
symbol, timeframe and start; a stored bar is kept), so the catch-up of a restart, which replays bars already
stored, adds nothing. An unfinished bar is written only when the data ends: a bar cut short by a stop would
otherwise be kept forever over the complete bar the restart builds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from theo.core.calendar import MarketCalendar
from theo.data.bars.rollup import BarRollup
from theo.data.bars.timeframes import parse_timeframe
from theo.model.market import Bar

MINUTE = "1m"
MINUTE_US = 60_000_000
#: Closed bars held before a write (the run also writes at each heartbeat).
BATCH = 2000


class BarWriter(Protocol):
    def write_bars(self, bars: Sequence[Bar], source: str) -> int:
        """Store bars (one already stored is kept); return how many were new."""
        ...


class BarLog:
    """Roll a run's items up to 1-minute bars and store the closed ones (module docstring)."""

    def __init__(self, store: BarWriter, calendar_for: Callable[[str], MarketCalendar], source: str) -> None:
        self.store = store
        self.calendar_for = calendar_for
        self.source = source
        self.written = 0
        self._rollup: BarRollup | None = None
        self._closed: list[Bar] = []
        self._ticks: set[str] = set()

    def start(self, sources: Mapping[str, str]) -> None:
        """Begin with each symbol's item timeframe (``tick`` for prints): prints and bars shorter than a minute
        make 1-minute bars, longer bars are recorded as they are."""
        targets = []
        for symbol, tf in sources.items():
            short = tf == "tick" or parse_timeframe(tf).length_us <= MINUTE_US
            targets.append((symbol, MINUTE if short else tf))
        bar_sources = {s: tf for s, tf in sources.items() if tf != "tick"}
        self._rollup = BarRollup(targets, self.calendar_for, sources=bar_sources, source=self.source)
        self._ticks = {s for s, tf in sources.items() if tf == "tick"}

    def on_item(self, symbol: str, start_us: int, end_us: int, o: float, h: float, lo: float, c: float,
                v: float) -> None:
        """One item in time order (a tick has ``end_us == start_us``)."""
        rollup = self._rollup
        if rollup is None:
            return
        self._closed.extend(rollup.advance(start_us))
        if symbol in self._ticks:
            rollup.add_tick(symbol, start_us, c, v)
        else:
            rollup.add_bar(symbol, start_us, end_us, o, h, lo, c, v)
        if len(self._closed) >= BATCH:
            self.write()

    def write(self) -> int:
        """Store the bars closed so far; return how many were new."""
        if not self._closed:
            return 0
        bars, self._closed = self._closed, []
        new = self.store.write_bars(bars, self.source)
        self.written += new
        return new

    def finish(self) -> int:
        """The data ended: close and store every bar, the unfinished last ones too."""
        if self._rollup is not None:
            self._closed.extend(self._rollup.flush())
        return self.write()
