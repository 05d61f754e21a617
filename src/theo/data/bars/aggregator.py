"""Streaming bar aggregator: ticks → 1-minute bars → any N-minute bars, closed on the clock.

Contract:

* The *watermark* is the later of the clock and the newest tick time seen. A bucket ``[start, end)``
  closes once the watermark reaches ``end + lateness``; a tick for a closed bucket goes to quarantine
  (``late``). So any arrival order within the lateness gives the same bars.
* After a symbol's first tick, every minute inside a session gets a bar: one with no ticks is flagged
  ``no_ticks`` and repeats the last close. Higher timeframes are built from the 1-minute bars, aligned
  to their session segment (09:30 ET for the regular session), and never straddle a segment boundary.
* Ticks outside every session are quarantined (``outside_session``). Nothing is dropped silently.
* Each closed bar goes to ``on_bar`` and to the bus as ``bars.<tf>.<SYM>``. Closing is also scheduled
  as a clock timer, so a quiet market still produces its bar on time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from theo.core.bus import MessageBus
from theo.core.calendar import MarketCalendar
from theo.core.clock import Clock
from theo.data.bars.accumulators import BarAccumulator, TickAccumulator
from theo.data.bars.timeframes import MINUTE_US, Segment, Timeframe, next_segment, parse_timeframe, segment_at
from theo.data.conditions import NO_REGULAR_PRINTS, NO_TICKS, ConditionFilter
from theo.data.rejection import LATE, OUTSIDE_SESSION, Rejection
from theo.model.enums import SessionKind
from theo.model.market import Bar, Tick
from theo.persistence.types import to_micros

_FLAGS_NONE: frozenset[str] = frozenset()
_FLAGS_NRP = frozenset({NO_REGULAR_PRINTS})
_FLAGS_EMPTY = frozenset({NO_TICKS})
_NEVER = 1 << 62
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


_DT_CACHE: dict[int, datetime] = {}


def from_micros(us: int) -> datetime:
    """UTC datetime of epoch microseconds; a bar's end is the next bar's start, so recent ones are cached."""
    dt = _DT_CACHE.get(us)
    if dt is None:
        if len(_DT_CACHE) > 4096:
            _DT_CACHE.clear()
        dt = _DT_CACHE[us] = _EPOCH + timedelta(microseconds=us)
    return dt


class _SymbolState:
    __slots__ = ("calendar", "close_seg", "cursor_us", "higher", "last_close", "open", "seg", "source")

    def __init__(self, calendar: MarketCalendar, cursor_us: int, seg: Segment) -> None:
        self.calendar = calendar
        self.cursor_us = cursor_us  # start of the next minute to close
        self.seg = seg  # segment of the latest tick (cache for the hot path)
        self.close_seg = seg  # segment at the cursor
        self.open: dict[int, TickAccumulator] = {}
        self.higher: dict[str, BarAccumulator] = {}
        self.last_close: float | None = None
        self.source = ""


class BarAggregator:
    """Build session-aligned bars from ticks in stream (see the module docstring for the contract)."""

    def __init__(self, timeframes: Sequence[str], calendar_for: Callable[[str], MarketCalendar],
                 bus: MessageBus | None, clock: Clock, lateness: timedelta = timedelta(seconds=2),
                 on_bar: Callable[[Bar], None] | None = None,
                 on_quarantine: Callable[[Rejection], None] | None = None,
                 conditions: ConditionFilter | None = None, *, schedule_timers: bool = True) -> None:
        parsed = [parse_timeframe(t) for t in timeframes]
        self.timeframes: list[Timeframe] = [t for t in parsed if t.minutes != 1]
        self._topics: dict[tuple[str, str], str] = {}
        self._steps = [(t.label, t.step_us or 0, t.daily) for t in self.timeframes]
        self.emit_minute = any(t.minutes == 1 for t in parsed) or not parsed
        self.minute_label = next((t.label for t in parsed if t.minutes == 1), "1m")
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
        self._watermark = -_NEVER
        self._next_due = _NEVER
        self._timer: tuple[int, int] | None = None  # (due µs, timer id)
        self.quarantined: Counter[str] = Counter()
        self.ticks_in = 0
        self.bars_out = 0

    # -- input ---------------------------------------------------------------------------------------------
    def on_tick(self, tick: Tick) -> None:
        """Add a gated tick; close every bar the new watermark makes due."""
        self.ticks_in += 1
        ts_us = to_micros(tick.ts)
        st = self._state.get(tick.symbol)
        if st is None:
            cal = self.calendar_for(tick.symbol)
            seg = segment_at(cal, ts_us)
            if seg is None:
                self._quarantine(tick, OUTSIDE_SESSION, f"{tick.ts.isoformat()} is outside every {cal.name} session")
                return
            st = _SymbolState(cal, seg.bucket(ts_us, MINUTE_US)[0], seg)
            self._state[tick.symbol] = st
            self._next_due = min(self._next_due, seg.bucket(ts_us, MINUTE_US)[1] + self.lateness_us)
            self._schedule()
        seg = st.seg
        if not seg.start_us <= ts_us < seg.end_us:
            found = segment_at(st.calendar, ts_us)
            if found is None:
                self._quarantine(tick, OUTSIDE_SESSION,
                                 f"{tick.ts.isoformat()} is outside every {st.calendar.name} session")
                return
            st.seg = seg = found
        start = seg.start_us + (ts_us - seg.start_us) // MINUTE_US * MINUTE_US
        if start < st.cursor_us:
            self._quarantine(tick, LATE, f"bar {from_micros(start).isoformat()} already closed "
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
        now_us = to_micros(now)
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
            for label in list(st.higher):
                self._emit_higher(symbol, st, label, st.higher.pop(label))

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
            self._timer = (due, self.clock.call_at(from_micros(due), self.on_time))

    def _emit_minute(self, symbol: str, st: _SymbolState, acc: TickAccumulator) -> None:
        o, h, low, c, regular = acc.ohlc()
        st.last_close = c
        st.source = acc.source
        seg = acc.segment
        bar = Bar(symbol, self.minute_label, from_micros(acc.start_us), from_micros(acc.end_us), o, h, low, c,
                  acc.volume, acc.count, seg.kind, acc.source, _FLAGS_NONE if regular else _FLAGS_NRP)
        self._publish(bar, emit=self.emit_minute)
        self._roll_up(symbol, st, acc.start_us, seg, o, h, low, c, acc.volume, acc.count, regular)

    def _emit_empty(self, symbol: str, st: _SymbolState, start: int, end: int, seg: Segment) -> None:
        c = st.last_close
        assert c is not None
        bar = Bar(symbol, self.minute_label, from_micros(start), from_micros(end), c, c, c, c, 0.0, 0,
                  seg.kind, st.source, _FLAGS_EMPTY)
        self._publish(bar, emit=self.emit_minute)
        self._roll_up(symbol, st, start, seg, c, c, c, c, 0.0, 0, True)

    def _roll_up(self, symbol: str, st: _SymbolState, start: int, seg: Segment, o: float, h: float, low: float,
                 c: float, volume: float, count: int, regular: bool) -> None:
        seg_start, seg_end = seg.start_us, seg.end_us
        minute_end = start + MINUTE_US
        if minute_end > seg_end:
            minute_end = seg_end
        is_regular = seg.kind is SessionKind.REGULAR
        higher = st.higher
        for label, step, daily in self._steps:
            if daily:
                if not is_regular:
                    continue
                b_start, b_end = seg_start, seg_end
            else:
                b_start = seg_start + (start - seg_start) // step * step
                b_end = b_start + step
                if b_end > seg_end:
                    b_end = seg_end
            acc = higher.get(label)
            if acc is not None and acc.start_us != b_start:
                self._emit_higher(symbol, st, label, higher.pop(label))
                acc = None
            if acc is None:
                acc = higher[label] = BarAccumulator(b_start, b_end, seg)
            acc.add(o, h, low, c, volume, count, regular, st.source)
            if minute_end >= b_end:
                self._emit_higher(symbol, st, label, higher.pop(label))

    def _emit_higher(self, symbol: str, st: _SymbolState, label: str, acc: BarAccumulator) -> None:
        ohlc, flags = (acc.e, _FLAGS_NONE) if acc.e is not None else (acc.a, _FLAGS_NRP)
        if ohlc is None:
            if acc.last_close is None:
                return
            c = acc.last_close
            ohlc, flags = [c, c, c, c], _FLAGS_EMPTY
        bar = Bar(symbol, label, from_micros(acc.start_us), from_micros(acc.end_us), ohlc[0], ohlc[1], ohlc[2],
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
