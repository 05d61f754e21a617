"""Property tests: arrival order within the lateness never changes the bars; no tick is ever lost."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.data.bars.helpers import Harness, et, tick
from theo.model.market import Bar

LATENESS = 2.0
BASE = et(2013, 10, 7, 9, 27)  # pre-market into the regular session: bars must not straddle 09:30

# distinct timestamps (ms) over 12 minutes, price, size, regular print or not, arrival delay within lateness
tick_rows = st.lists(
    st.tuples(st.integers(0, 12 * 60_000 - 1), st.integers(9_000, 11_000), st.integers(1, 500), st.booleans(),
              st.integers(0, int(LATENESS * 1000))),
    min_size=1, max_size=60, unique_by=lambda r: r[0])


def _key(b: Bar) -> tuple[object, ...]:
    return (b.timeframe, b.start, b.end, b.open, b.high, b.low, b.close, b.volume, b.tick_count, b.session, b.flags)


def _run(rows: list[tuple[int, int, int, bool, int]], order: list[int]) -> Harness:
    h = Harness(["1m", "5m", "15m"], lateness=LATENESS, start=BASE)
    for i in order:
        ms, price, size, regular, _ = rows[i]
        h.agg.on_tick(tick(BASE + timedelta(milliseconds=ms), price / 100, float(size),
                           condition="1" if regular else "20000020"))
    h.agg.on_time(BASE + timedelta(minutes=13))
    h.agg.flush()
    return h


@settings(max_examples=60, deadline=None)
@given(tick_rows)
def test_any_interleaving_within_the_lateness_gives_the_same_bars(rows: list[tuple[int, int, int, bool, int]]) -> None:
    in_time = sorted(range(len(rows)), key=lambda i: rows[i][0])
    # each tick arrives up to LATENESS after its own time, so it may overtake or be overtaken
    shuffled = sorted(range(len(rows)), key=lambda i: (rows[i][0] + rows[i][4], i))
    a, b = _run(rows, in_time), _run(rows, shuffled)
    assert [_key(x) for x in a.bars] == [_key(x) for x in b.bars]
    assert b.quarantine == []


@settings(max_examples=60, deadline=None)
@given(tick_rows, st.randoms(use_true_random=False))
def test_every_tick_is_in_exactly_one_bar_or_in_quarantine(rows: list[tuple[int, int, int, bool, int]],
                                                            rnd: object) -> None:
    order = list(range(len(rows)))
    rnd.shuffle(order)  # type: ignore[attr-defined]  # any order at all: some ticks come too late
    h = _run(rows, order)
    minutes = h.of("1m")
    assert sum(b.tick_count for b in minutes) + len(h.quarantine) == len(rows)
    assert all(q.reason == "late" for q in h.quarantine)
    total = sum(r[2] for r in rows)
    late = sum(q.tick.size for q in h.quarantine)
    assert sum(b.volume for b in minutes) == total - late
    for tf in ("5m", "15m"):
        assert sum(b.tick_count for b in h.of(tf)) == sum(b.tick_count for b in minutes)
    starts = [b.start for b in minutes]
    assert starts == sorted(set(starts))  # one bar per minute, in order
