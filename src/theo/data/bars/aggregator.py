"""Streaming bar aggregator: ticks → 1-minute bars → any N-minute bars, closed on the clock.

Contract:

* The *watermark* is the later of the clock and the newest tick time seen. A bucket ``[start, end)``
  closes once the watermark reaches ``end + lateness``; a tick for a closed bucket goes to quarantine
  (``late``). So any arrival order within the lateness gives the same bars.
* After a symbol's first tick, every minute inside a session gets a bar: one with no ticks is flagged
  ``no_ticks`` and repeats the last close. Higher timeframes are built from the 1-minute bars, aligned
  to their session segment (09:30 ET for the regular session), and never straddle a segment boundary;
  they go through :class:`~theo.data.bars.accumulators.TargetSet`, the bucketing path the engine's
  :class:`~theo.data.bars.rollup.BarRollup` shares. Timeframes are whole minutes or ``1d``.
* Ticks outside every session are quarantined (``outside_session``). Nothing is dropped silently.
* Each closed bar goes to ``on_bar`` and to the bus as ``bars.<tf>.<SYM>``. Closing is also scheduled
  as a clock timer, so a quiet market still produces its bar on time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from theo.core.bus import MessageBus
from theo.core.calendar import MarketCalendar
from theo.core.clock import Clock
from theo.core.time import to_us
from theo.data.bars.accumulators import DAILY_STEP, BarAccumulator, TargetSet, TickAccumulator, bar_time
from theo.data.bars.timeframes import MINUTE_US, Segment, SegmentCursor, Timeframe, minute_timeframe, next_segment
from theo.data.conditions import NO_REGULAR_PRINTS, NO_TICKS, ConditionFilter
from theo.data.rejection import LATE, OUTSIDE_SESSION, Rejection
from theo.model.market import Bar, Tick

_FLAGS_NONE: frozenset[str] = frozenset()
_FLAGS_NRP = frozenset({NO_REGULAR_PRINTS})
_FLAGS_EMPTY = frozenset({NO_TICKS})
_NEVER = 1 << 62


class _SymbolState:
    __slots__ = ("calendar", "close_seg", "cursor_us", "higher", "last_close", "open", "segments", "source")

    def __init__(self, segments: SegmentCursor, cursor_us: int, seg: Segment, higher: TargetSet) -> None:
        self.calendar = segments.calendar
        self.segments = segments
        self.cursor_us = cursor_us  # start of the next minute to close
        self.close_seg = seg  # segment at the cursor
        self.open: dict[int, TickAccumulator] = {}
        self.higher = higher
        self.last_close: float | None = None
        self.source = ""


class BarAggregator:
    """Build session-aligned bars from ticks in stream (see the module docstring for the contract)."""

    def __init__(self, timeframes: Sequence[str], calendar_for: Callable[[str], MarketCalendar],
                 bus: MessageBus | None, clock: Clock, lateness: timedelta = timedelta(seconds=2),
                 on_bar: Callable[[Bar], None] | None = None,
                 on_quarantine: Callable[[Rejection], None] | None = None,
                 conditions: ConditionFilter | None = None, *, schedule_timers: bool = True) -> None:
        parsed = [minute_timeframe(t) for t in timeframes]
        self.timeframes: list[Timeframe] = [t for t in parsed if t.step_us != MINUTE_US]
        self._topics: dict[tuple[str, str], str] = {}
        self._steps = [DAILY_STEP if t.step_us is None else t.step_us for t in self.timeframes]
        self._done: list[tuple[int, BarAccumulator]] = []
        self.emit_minute = any(t.step_us == MINUTE_US for t in parsed) or not parsed
        self.minute_label = next((t.label for t in parsed if t.step_us == MINUTE_US), "1m")
        self.calendar_for = calendar_for
        self.bus = bus
        self.clock = clock
        self.lateness_us = int(lateness.total_seconds() * 1_000_000)
        if not 0 <= self.lateness_us < MINUTE_US:
            raise ValueError(f"lateness {lateness} must be between 0 and 60 seconds")
        self.on_bar = on_bar
        self.on_quarantine = on_quarantine
        self.conditions = conditions or ConditionFilter()
        self._ohlc_conditions = self.conditions.ohlc_conditions
        self.schedule_timers = schedule_timers
        self._state: dict[str, _SymbolState] = {}
        self._cursors: dict[str, SegmentCursor] = {}
        self._watermark = -_NEVER
        self._next_due = _NEVER
        self._timer: tuple[int, int] | None = None  # (due µs, timer id)
        self.quarantined: Counter[str] = Counter()
        self.ticks_in = 0
        self.bars_out = 0

    # -- input ---------------------------------------------------------------------------------------------
    def _cursor(self, symbol: str) -> SegmentCursor:
        cursor = self._cursors.get(symbol)
        if cursor is None:
            cursor = self._cursors[symbol] = SegmentCursor(self.calendar_for(symbol))
        return cursor

    def on_tick(self, tick: Tick) -> None:
        """Add a gated tick; close every bar the new watermark makes due."""
        self.ticks_in += 1
        ts_us = to_us(tick.ts)
        st = self._state.get(tick.symbol)
        segments = st.segments if st is not None else self._cursor(tick.symbol)
        seg = segments.segment  # segment of the latest tick: the calendar is asked only when it changes
        if seg is None or not seg.start_us <= ts_us < seg.end_us:
            seg = segments.at(ts_us)
            if seg is None:
                self._quarantine(tick, OUTSIDE_SESSION,
                                 f"{tick.ts.isoformat()} is outside every {segments.calendar.name} session")
                return
        if st is None:
            labels = [t.label for t in self.timeframes]
            st = _SymbolState(segments, seg.bucket(ts_us, MINUTE_US)[0], seg,
                              TargetSet(self._steps, list(range(len(labels))), labels))
            self._state[tick.symbol] = st
            self._next_due = min(self._next_due, seg.bucket(ts_us, MINUTE_US)[1] + self.lateness_us)
            self._schedule()
        start = seg.start_us + (ts_us - seg.start_us) // MINUTE_US * MINUTE_US
        if start < st.cursor_us:
            self._quarantine(tick, LATE, f"bar {bar_time(start).isoformat()} already closed "
                                         f"(lateness {self.lateness_us / 1e6:g}s)")
            return
        acc = st.open.get(start)
        if acc is None:
            acc = st.open[start] = TickAccumulator(start, min(start + MINUTE_US, seg.end_us), seg)
        acc.add(ts_us, tick.price, tick.size, tick.condition in self._ohlc_conditions, tick.source)
        if ts_us > self._watermark:
            self._watermark = ts_us
            if ts_us >= self._next_due:
                self._close_due()

    def on_time(self, now: datetime) -> None:
        """Advance the watermark to ``now`` and close every due bar (also called by clock timers)."""
        now_us = to_us(now)
        if self._timer is not None and self._timer[0] <= now_us:
            self._timer = None  # fired (or due): cancelling it later would only leak an id in the clock
        if now_us > self._watermark:
            self._watermark = now_us
        if self._watermark >= self._next_due:
            self._close_due()

    def flush(self) -> None:
        """Emit every open bar now, complete or not (end of a replay or shutdown)."""
        for symbol, st in self._state.items():
            for start in sorted(st.open):
                self._emit_minute(symbol, st, st.open.pop(start))
                st.cursor_us = max(st.cursor_us, start + MINUTE_US)
            st.higher.close_due(_NEVER, self._done)
            self._emit_done(symbol, st)

    # -- closing -------------------------------------------------------------------------------------------
    def _close_due(self) -> None:
        wm = self._watermark - self.lateness_us
        nxt = _NEVER
        for symbol, st in self._state.items():
            while True:
                seg = st.close_seg
                if not seg.start_us <= st.cursor_us < seg.end_us:
                    seg = st.close_seg = next_segment(st.calendar, st.cursor_us)
                    st.cursor_us = max(st.cursor_us, seg.start_us)
                start = st.cursor_us
                end = min(start + MINUTE_US, seg.end_us)
                if end > wm:
                    nxt = min(nxt, end)
                    break
                acc = st.open.pop(start, None)
                if acc is not None:
                    self._emit_minute(symbol, st, acc)
                elif st.last_close is not None:
                    self._emit_empty(symbol, st, start, end, seg)
                st.cursor_us = end
        self._next_due = nxt + self.lateness_us if nxt != _NEVER else _NEVER
        self._schedule()

    def _schedule(self) -> None:
        due = self._next_due
        if self.schedule_timers and due != _NEVER and (self._timer is None or self._timer[0] != due):
            if self._timer is not None:
                self.clock.cancel(self._timer[1])
            self._timer = (due, self.clock.call_at(bar_time(due), self.on_time))

    def _emit_minute(self, symbol: str, st: _SymbolState, acc: TickAccumulator) -> None:
        o, h, low, c, regular = acc.ohlc()
        st.last_close = c
        st.source = acc.source
        seg = acc.segment
        bar = Bar(symbol, self.minute_label, bar_time(acc.start_us), bar_time(acc.end_us), o, h, low, c,
                  acc.volume, acc.count, seg.kind, acc.source, _FLAGS_NONE if regular else _FLAGS_NRP)
        self._publish(bar, emit=self.emit_minute)
        self._roll_up(symbol, st, acc.start_us, seg, o, h, low, c, acc.volume, acc.count, regular)

    def _emit_empty(self, symbol: str, st: _SymbolState, start: int, end: int, seg: Segment) -> None:
        c = st.last_close
        assert c is not None
        bar = Bar(symbol, self.minute_label, bar_time(start), bar_time(end), c, c, c, c, 0.0, 0,
                  seg.kind, st.source, _FLAGS_EMPTY)
        self._publish(bar, emit=self.emit_minute)
        self._roll_up(symbol, st, start, seg, c, c, c, c, 0.0, 0, True)

    def _roll_up(self, symbol: str, st: _SymbolState, start: int, seg: Segment, o: float, h: float, low: float,
                 c: float, volume: float, count: int, regular: bool) -> None:
        minute_end = start + MINUTE_US
        if minute_end > seg.end_us:
            minute_end = seg.end_us
        higher = st.higher
        higher.add(start, minute_end, seg, o, h, low, c, volume, count, regular, st.source, self._done)
        if minute_end >= higher.min_end:
            higher.close_due(minute_end, self._done)
        if self._done:
            self._emit_done(symbol, st)

    def _emit_done(self, symbol: str, st: _SymbolState) -> None:
        for key, acc in self._done:
            self._emit_higher(symbol, st, self.timeframes[key].label, acc)
        self._done.clear()

    def _emit_higher(self, symbol: str, st: _SymbolState, label: str, acc: BarAccumulator) -> None:
        ohlc, flags = (acc.e, _FLAGS_NONE) if acc.e is not None else (acc.a, _FLAGS_NRP)
        if ohlc is None:
            if acc.last_close is None:
                return
            c = acc.last_close
            ohlc, flags = [c, c, c, c], _FLAGS_EMPTY
        bar = Bar(symbol, label, bar_time(acc.start_us), bar_time(acc.end_us), ohlc[0], ohlc[1], ohlc[2],
                  ohlc[3], acc.volume, acc.count, acc.segment.kind, acc.source or st.source, flags)
        self._publish(bar, emit=True)

    def _publish(self, bar: Bar, *, emit: bool) -> None:
        if not emit:
            return
        self.bars_out += 1
        if self.on_bar is not None:
            self.on_bar(bar)
        if self.bus is not None:
            key = (bar.timeframe, bar.symbol)
            topic = self._topics.get(key)
            if topic is None:
                topic = self._topics[key] = f"bars.{bar.timeframe}.{bar.symbol}"
            self.bus.publish(topic, bar)

    def _quarantine(self, tick: Tick, reason: str, detail: str) -> None:
        self.quarantined[reason] += 1
        if self.on_quarantine is not None:
            self.on_quarantine(Rejection(tick, reason, detail, stage="aggregator"))
