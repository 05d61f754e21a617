"""Property: the streaming roll-up and its batch twin give the same bars, bit for bit, for any item stream.

Streams fall on days around both 2026 DST changes, Thanksgiving (closed), the early close after it, and
cover nights and the pre/post-market, so buckets are cut by segments, early closes and holidays.
"""

from __future__ import annotations

from datetime import date, datetime, time

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from theo.core.calendar import ET, get_calendar
from theo.core.time import to_us
from theo.data.bars.batch import rollup
from theo.data.bars.rollup import BarRollup, Unused
from theo.model.market import Bar

CAL = get_calendar()
TARGETS = ["1m", "5m", "7m", "60m", "1h", "1d"]
SEC = 1_000_000
HOUR = 3600 * SEC
DAYS = [date(2026, 3, 6), date(2026, 3, 9), date(2026, 10, 30), date(2026, 11, 2), date(2026, 11, 25),
        date(2026, 11, 26), date(2026, 11, 27)]
Items = tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]

prices = st.floats(1.0, 1000.0, allow_nan=False)
volumes = st.one_of(st.integers(0, 10**6).map(float), st.floats(0.0, 1e6, allow_nan=False, allow_infinity=False))


@st.composite
def streams(draw: st.DrawFn, step_us: int | None) -> Items:
    """Items over 2 hours to 3 days from a random hour of a chosen day; ``step_us`` None: ticks."""
    day = draw(st.sampled_from(DAYS))
    origin = to_us(datetime.combine(day, time(draw(st.integers(0, 23))), tzinfo=ET))
    span = draw(st.sampled_from([2 * HOUR, 24 * HOUR, 72 * HOUR]))
    grid = step_us or 1
    slots = draw(st.lists(st.integers(0, span // grid - 1), min_size=1, max_size=120, unique=step_us is not None))
    start = origin + np.sort(np.array(slots, dtype=np.int64)) * grid
    n = len(start)
    cols = [np.array(draw(st.lists(prices, min_size=n, max_size=n))) for _ in range(4 if step_us else 1)]
    v = np.array(draw(st.lists(volumes, min_size=n, max_size=n)))
    if step_us is None:
        return start, None, cols[0], cols[0], cols[0], cols[0], v
    return start, start + step_us, cols[0], cols[1], cols[2], cols[3], v


def _stream(items: Items, source: str | None, advance_at_ends: bool) -> tuple[BarRollup, list[list[Bar]]]:
    start, end, o, h, lo, c, v = items
    r = BarRollup([("X", tf) for tf in TARGETS], lambda _s: CAL, sources={"X": source} if source else None)
    calls: list[list[Bar]] = []
    for i in range(len(start)):
        calls.append(r.advance(int(start[i])))
        if end is None:
            r.add_tick("X", int(start[i]), float(o[i]), float(v[i]))
        else:
            r.add_bar("X", int(start[i]), int(end[i]), float(o[i]), float(h[i]), float(lo[i]), float(c[i]),
                      float(v[i]))
            if advance_at_ends:
                calls.append(r.advance(int(end[i])))
    calls.append(r.flush())
    return r, calls


def _check(items: Items, source: str | None, advance_at_ends: bool) -> None:
    r, calls = _stream(items, source, advance_at_ends)
    for call in calls:  # one call's bars: by end time, then in the order of the targets
        keys = [(b.end, TARGETS.index(b.timeframe)) for b in call]
        assert keys == sorted(keys)
    streamed = [b for call in calls for b in call]
    start, end, o, h, lo, c, v = items
    for tf in TARGETS:
        batch = rollup("X", start, end, o, h, lo, c, v, tf, CAL, source=source)
        assert batch.to_bars("rollup") == [b for b in streamed if b.timeframe == tf], tf
        assert r.outside.get(Unused.CLOSED, 0) == batch.outside_count
    assert set(r.outside) <= {Unused.CLOSED}


@settings(max_examples=80, deadline=None)
@given(streams(None))
def test_ticks_roll_up_alike_in_stream_and_batch(items: Items) -> None:
    _check(items, None, False)


@settings(max_examples=80, deadline=None)
@given(streams(60 * SEC), st.booleans(), st.booleans())
def test_minute_bars_roll_up_alike_in_stream_and_batch(items: Items, pass_through: bool, at_ends: bool) -> None:
    _check(items, "1m" if pass_through else None, at_ends)


@settings(max_examples=80, deadline=None)
@given(streams(5 * SEC), st.booleans(), st.booleans())
def test_five_second_bars_roll_up_alike_in_stream_and_batch(items: Items, declared: bool, at_ends: bool) -> None:
    _check(items, "5s" if declared else None, at_ends)
