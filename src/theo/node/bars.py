"""Strategy bars in the node: the one session-aligned aggregation, in batch (backtests) and in stream (paper).

Both forms follow :mod:`theo.data.bars.timeframes`: buckets aligned to the session segment (09:30 ET for
the regular session), never straddling a segment, ``1d`` = the regular session; only buckets with data make
bars; items outside every session segment (holidays, weekends, overnight) are not used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from theo.core.calendar import MarketCalendar
from theo.core.time import from_us
from theo.data.bars.batch import BarArrays, aggregate_arrays, resample_bars
from theo.data.bars.timeframes import Segment, parse_timeframe, segment_at
from theo.model.enums import SessionKind
from theo.model.market import Bar
from theo.model.series import BarSeries


def strategy_bars(series: BarSeries, timeframe: str, calendar: MarketCalendar) -> BarArrays:
    """Bars of ``timeframe`` from a symbol's items (bars of the same or a finer timeframe, or ticks)."""
    if series.timeframe == timeframe:  # passed through unchanged, with their session kind
        from theo.data.bars.batch import bucket_ticks
        from theo.data.bars.timeframes import Timeframe

        _, _, kind, inside = bucket_ticks(series.start_us, calendar, Timeframe("1m", 1))
        n = len(series)
        return BarArrays(series.symbol, timeframe, series.start_us[inside], series.end_us[inside],
                         series.open[inside], series.high[inside], series.low[inside], series.close[inside],
                         series.volume[inside], np.ones(n, dtype=np.int64)[inside], kind[inside],
                         np.ones(n, dtype=bool)[inside])
    if series.timeframe == "tick":
        counts = np.ones(len(series), dtype=bool)
        return aggregate_arrays(series.symbol, series.start_us, series.close, series.volume, counts, timeframe,
                                calendar)
    return resample_bars(series, timeframe, calendar)


def bar_records(arr: BarArrays) -> list[Bar]:
    """The bars as records, exactly as :class:`StreamBars` emits them."""
    kinds = (SessionKind.PRE, SessionKind.REGULAR, SessionKind.POST)
    return [Bar(arr.symbol, arr.timeframe, from_us(int(arr.start_us[i])), from_us(int(arr.end_us[i])),
                float(arr.open[i]), float(arr.high[i]), float(arr.low[i]), float(arr.close[i]), float(arr.volume[i]),
                int(arr.tick_count[i]), kinds[int(arr.session[i])], "engine") for i in range(len(arr))]


def session_mask(start_us: np.ndarray, calendar: MarketCalendar) -> tuple[np.ndarray, np.ndarray]:
    """Per item: inside a session segment, and inside the regular session (vectorised)."""
    from theo.data.bars.batch import bucket_ticks
    from theo.data.bars.timeframes import Timeframe

    _, _, kind, inside = bucket_ticks(np.asarray(start_us, dtype=np.int64), calendar, Timeframe("1m", 1))
    regular = inside & (kind == 1)
    return inside, regular


class _Open:
    __slots__ = ("close", "end", "high", "low", "n", "open", "seg", "start", "volume")

    def __init__(self, start: int, end: int, seg: Segment, o: float, h: float, lo: float, c: float, v: float) -> None:
        self.start, self.end, self.seg = start, end, seg
        self.open, self.high, self.low, self.close, self.volume, self.n = o, h, lo, c, v, 1


class StreamBars:
    """Streaming twin of :func:`strategy_bars` for several (symbol, timeframe) targets at once."""

    def __init__(self, targets: Sequence[tuple[str, str]], calendar_for: Callable[[str], MarketCalendar]) -> None:
        self.targets = list(targets)
        self._by_symbol: dict[str, list[tuple[int, str, int | None]]] = {}
        for k, (symbol, tf) in enumerate(self.targets):
            step = parse_timeframe(tf).step_us
            self._by_symbol.setdefault(symbol, []).append((k, tf, step))
        self.calendar_for = calendar_for
        self._open: dict[int, _Open] = {}
        self._seg: dict[str, Segment | None] = {}
        self.outside = 0
        self._source: dict[str, str] = {}

    def set_source(self, symbol: str, timeframe: str) -> None:
        """Items of ``symbol`` are bars of ``timeframe`` (``tick``: trade prints)."""
        self._source[symbol] = timeframe

    def _segment(self, symbol: str, ts_us: int) -> Segment | None:
        seg = self._seg.get(symbol)
        if seg is not None and seg.start_us <= ts_us < seg.end_us:
            return seg
        seg = segment_at(self.calendar_for(symbol), ts_us)
        self._seg[symbol] = seg
        return seg

    def add(self, symbol: str, ts_us: int, end_us: int, o: float, h: float, lo: float, c: float,
            v: float) -> list[Bar]:
        """Add one item (a bar ``[ts_us, end_us)``, or a tick: ``end_us == ts_us``); return the bars it completed.

        A bar of the target's own timeframe passes through unchanged (its bounds are kept).
        """
        targets = self._by_symbol.get(symbol)
        if not targets:
            return []
        seg = self._segment(symbol, ts_us)
        if seg is None:
            self.outside += 1
            return []
        done: list[Bar] = []
        source = self._source.get(symbol)
        for k, tf, step in targets:
            if source == tf:
                b_start, b_end = ts_us, end_us
            elif step is None:
                if seg.kind is not SessionKind.REGULAR:
                    continue
                b_start, b_end = seg.start_us, seg.end_us
            else:
                b_start, b_end = seg.bucket(ts_us, step)
            cur = self._open.get(k)
            if cur is not None and cur.start != b_start:
                done.append(self._emit(k, self._open.pop(k)))
                cur = None
            if cur is None:
                self._open[k] = _Open(b_start, b_end, seg, o, h, lo, c, v)
            else:
                cur.high = max(cur.high, h)
                cur.low = min(cur.low, lo)
                cur.close = c
                cur.volume += v
                cur.n += 1
        return done

    def advance(self, now_us: int) -> list[Bar]:
        """Close and return every open bar whose end is at or before ``now_us`` (by end, then target order)."""
        due = [(b.end, k) for k, b in self._open.items() if b.end <= now_us]
        due.sort()
        return [self._emit(k, self._open.pop(k)) for _, k in due]

    def next_end(self) -> int | None:
        """The earliest end (µs) of the open bars, ``None`` when none is open."""
        return min((b.end for b in self._open.values()), default=None)

    def flush(self) -> list[Bar]:
        """End of data: every open bar, complete or not."""
        return self.advance(1 << 62)

    def _emit(self, k: int, b: _Open) -> Bar:
        symbol, tf = self.targets[k]
        return Bar(symbol, tf, from_us(b.start), from_us(b.end), b.open, b.high, b.low, b.close, b.volume, b.n,
                   b.seg.kind, "engine")
