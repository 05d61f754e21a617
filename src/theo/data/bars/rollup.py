"""Strategy bars for the engine: source bars or ticks rolled up, session-aligned, into subscribed timeframes.

Contract (:func:`theo.data.bars.batch.rollup` is the batch twin and gives the same bars, bit for bit):

* Items come in time order of their start. ``advance(now)`` says that no item starting before ``now``
  will come: it closes and returns every bar whose end is at or before ``now``. Feed the items of an
  instant before advancing past it (a bar known at its end: ``add_bar`` then ``advance(end)``).
* Buckets are aligned to the session segment (pre-market 04:00, regular 09:30, post-market 16:00 ET or the
  early close; ``1d`` is the regular segment), as :mod:`theo.data.bars.timeframes` defines; a bar never
  straddles a segment. A source bar must fit inside each target bucket, else :class:`DataError`.
* Only buckets with items make bars. ``tick_count`` is the number of source items of the bar.
* Items not used are counted in ``outside`` by :class:`Unused` reason: outside every session segment
  (``closed``: night, weekend, holiday, after the post-market), starting before the time already advanced
  to (``late``), or of a symbol no target names (``no_target``). A pre-market item is in a session: a
  ``1d`` target does not use it, but it is not counted.
* With ``sources`` (symbol -> timeframe of its bars) every target is checked with :func:`check_rollup`, and
  a target equal to its source passes the bars through unchanged, with their session kind (``1d``
  source bars, labelled by date, are matched to the session of their New York date).
* The bars of one ``advance`` come ordered by end time, then by the order of ``targets``.

:func:`roll_minutes` rebuilds one stored higher-timeframe bar from its stored 1-minute bars with the live
aggregator's rules (empty minutes, ``no_regular_prints``); the store uses it when backfilled minutes arrive
after the bar was built (:func:`theo.persistence.writer.correct_backfilled`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from enum import StrEnum

from theo.core.calendar import ET, MarketCalendar
from theo.core.errors import DataError, TimeframeError
from theo.core.time import to_us
from theo.data.bars.accumulators import DAILY_STEP, PASS_STEP, BarAccumulator, TargetSet, bar_time
from theo.data.bars.timeframes import (
    MINUTE_US,
    Segment,
    SegmentCursor,
    Timeframe,
    check_rollup,
    parse_timeframe,
    session_segments,
)
from theo.data.conditions import NO_REGULAR_PRINTS, NO_TICKS
from theo.model.enums import SessionKind
from theo.model.market import Bar

_NEVER = 1 << 62
_NO_FLAGS: frozenset[str] = frozenset()


class Unused(StrEnum):
    """Why an item was not used (keys of :attr:`BarRollup.outside`)."""

    CLOSED = "closed"
    LATE = "late"
    NO_TARGET = "no_target"


class _Symbol:
    __slots__ = ("daily_source", "day", "day_segment", "segments", "targets")

    def __init__(self, calendar: MarketCalendar, targets: TargetSet, daily_source: bool) -> None:
        self.segments = SegmentCursor(calendar)
        self.targets = targets
        self.daily_source = daily_source
        self.day: date | None = None
        self.day_segment: Segment | None = None


class BarRollup:
    """Roll source items of several symbols up into ``(symbol, timeframe)`` targets (module docstring)."""

    def __init__(self, targets: Sequence[tuple[str, str]], calendar_for: Callable[[str], MarketCalendar], *,
                 sources: Mapping[str, str | Timeframe] | None = None, source: str = "rollup") -> None:
        self.targets: list[tuple[str, Timeframe]] = []
        keys: dict[str, list[int]] = {}
        for symbol, label in dict.fromkeys((s, t) for s, t in targets):
            keys.setdefault(symbol, []).append(len(self.targets))
            self.targets.append((symbol, parse_timeframe(label)))
        self._symbols: dict[str, _Symbol] = {}
        for symbol, ks in keys.items():
            calendar = calendar_for(symbol)
            given = (sources or {}).get(symbol)
            src = parse_timeframe(given) if isinstance(given, str) else given
            steps = []
            for k in ks:
                tf = self.targets[k][1]
                if src is not None:
                    check_rollup(src, tf, f"{symbol} {tf.label}", calendar)
                passes = src is not None and src.step_us == tf.step_us
                steps.append(PASS_STEP if passes else DAILY_STEP if tf.step_us is None else tf.step_us)
            labels = [self.targets[k][1].label for k in ks]
            self._symbols[symbol] = _Symbol(calendar, TargetSet(steps, ks, labels), src is not None and src.daily)
        self.source = source
        self.outside: Counter[str] = Counter()
        self._now = -_NEVER
        self._next_due = _NEVER
        self._pending: list[tuple[int, BarAccumulator]] = []
        self._done: list[tuple[int, BarAccumulator]] = []

    # -- input ---------------------------------------------------------------------------------------------
    def add_bar(self, symbol: str, start_us: int, end_us: int, o: float, h: float, lo: float, c: float,
                v: float) -> None:
        """Add one source bar ``[start_us, end_us)``."""
        st = self._symbols.get(symbol)
        if st is None:
            self.outside[Unused.NO_TARGET] += 1
            return
        if start_us < self._now:
            self.outside[Unused.LATE] += 1
            return
        seg = st.segments.segment  # the calendar is asked only when the stream leaves this segment
        if seg is None or not seg.start_us <= start_us < seg.end_us or st.daily_source:
            seg = self._day_segment(st, start_us) if st.daily_source else st.segments.at(start_us)
            if seg is None:
                self.outside[Unused.CLOSED] += 1
                return
        targets = st.targets
        try:
            targets.add(start_us, end_us, seg, o, h, lo, c, v, 1, True, self.source, self._done)
        except DataError as exc:
            raise DataError(f"{symbol}: {exc}") from None
        if targets.min_end < self._next_due:
            self._next_due = targets.min_end
        if self._done:
            self._park()

    def add_tick(self, symbol: str, ts_us: int, price: float, size: float) -> None:
        """Add one trade print (a source item of zero length)."""
        self.add_bar(symbol, ts_us, ts_us, price, price, price, price, size)

    # -- output --------------------------------------------------------------------------------------------
    def advance(self, now_us: int) -> list[Bar]:
        """Time reaches ``now_us``: close and return every target bar whose end is at or before it."""
        if now_us > self._now:
            self._now = now_us
        if now_us < self._next_due:
            return []
        due: list[tuple[int, BarAccumulator]] = []
        nxt = _NEVER
        if self._pending:
            keep = []
            for item in self._pending:
                end = item[1].end_us
                if end <= now_us:
                    due.append(item)
                else:
                    keep.append(item)
                    nxt = min(nxt, end)
            self._pending = keep
        for st in self._symbols.values():
            targets = st.targets
            if targets.min_end <= now_us:
                targets.close_due(now_us, due)
            nxt = min(nxt, targets.min_end)
        self._next_due = nxt
        return self._bars(due)

    @property
    def next_end(self) -> int | None:
        """The earliest end (µs) of the bars still open, ``None`` when none is: the next :meth:`advance` that
        returns a bar is to this time or later."""
        return None if self._next_due == _NEVER else self._next_due

    def flush(self) -> list[Bar]:
        """End of data: every open bar, complete or not, ordered as :meth:`advance` orders them."""
        due, self._pending = self._pending, []
        for st in self._symbols.values():
            st.targets.close_due(_NEVER, due)
        self._next_due = _NEVER
        return self._bars(due)

    # -- internals -----------------------------------------------------------------------------------------
    def _park(self) -> None:
        for item in self._done:
            if item[1].end_us < self._next_due:
                self._next_due = item[1].end_us
        self._pending.extend(self._done)
        self._done.clear()

    def _day_segment(self, st: _Symbol, start_us: int) -> Segment | None:
        """The regular segment of the session on the New York date of a daily bar (``None`` on a holiday)."""
        day = bar_time(start_us).astimezone(ET).date()
        if day != st.day:
            segs = session_segments(st.segments.calendar, day)
            st.day = day
            st.day_segment = next((s for s in segs if s.kind is SessionKind.REGULAR), None)
        return st.day_segment

    def _bars(self, due: list[tuple[int, BarAccumulator]]) -> list[Bar]:
        if len(due) > 1:
            due.sort(key=lambda item: (item[1].end_us, item[0]))
        out = []
        for key, acc in due:
            symbol, tf = self.targets[key]
            ohlc = acc.e
            assert ohlc is not None  # every bucket here holds at least one item
            out.append(Bar(symbol, tf.label, bar_time(acc.start_us), bar_time(acc.end_us), ohlc[0], ohlc[1],
                           ohlc[2], ohlc[3], acc.volume, acc.count, acc.segment.kind, self.source, _NO_FLAGS))
        return out


def rolls_from_minutes(label: str) -> bool:
    """Whether the live aggregator builds ``label`` bars from its 1-minute bars (``1d`` or whole minutes above
    one); a label that is not a timeframe is not."""
    try:
        tf = parse_timeframe(label)
    except TimeframeError:
        return False
    return tf.step_us is None or (tf.step_us > MINUTE_US and tf.step_us % MINUTE_US == 0)


def roll_minutes(symbol: str, minutes: Iterable[Bar], timeframe: str, start: datetime, end: datetime,
                 session: SessionKind, *, carry: frozenset[str] = _NO_FLAGS) -> Bar | None:
    """The ``symbol`` ``timeframe`` bar ``[start, end)`` the live aggregator builds from these 1-minute bars.

    ``[start, end)`` is the bar's bucket (session-aligned, as the aggregator cut it) and ``minutes`` its
    1-minute bars in time order (:class:`DataError` for one outside it). The aggregator's rules: a minute with
    no trades (``tick_count == 0``) adds nothing but its close; OHLC come from the minutes with regular prints,
    else from the others (flag ``no_regular_prints``); a bucket with no trades repeats the last close (flag
    ``no_ticks``); ``None`` when there is no minute at all. Volume and ``tick_count`` are sums. The flags in
    ``carry`` found on a minute are kept (``backfill``). ``source`` is the source of most minutes with trades
    (the earliest of them on a tie; the last minute's without trades), as a bar of several feeds has no
    single one.
    """
    a, b = to_us(start), to_us(end)
    acc = BarAccumulator(a, b, Segment(a, b, session, start.date()))
    traded: Counter[str] = Counter()
    kept: set[str] = set()
    last_source = ""
    for m in minutes:
        m_start, m_end = to_us(m.start), to_us(m.end)
        if not a <= m_start < b or m_end > b:
            raise DataError(f"{symbol} 1-minute bar {m.start.isoformat()} is not inside the {timeframe} bar "
                            f"{start.isoformat()} to {end.isoformat()}")
        acc.add(m.open, m.high, m.low, m.close, m.volume, m.tick_count, NO_REGULAR_PRINTS not in m.flags, m.source)
        if m.tick_count:
            traded[m.source] += 1
        kept |= m.flags & carry
        last_source = m.source
    ohlc, flags = (acc.e, _NO_FLAGS) if acc.e is not None else (acc.a, frozenset({NO_REGULAR_PRINTS}))
    if ohlc is None:
        if acc.last_close is None:
            return None
        c = acc.last_close
        ohlc, flags = [c, c, c, c], frozenset({NO_TICKS})
    source = traded.most_common(1)[0][0] if traded else last_source
    return Bar(symbol, timeframe, start, end, ohlc[0], ohlc[1], ohlc[2], ohlc[3],
               acc.volume, acc.count, session, source, flags | kept)
