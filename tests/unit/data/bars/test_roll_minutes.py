"""``roll_minutes`` rebuilds a higher-timeframe bar from its 1-minute bars exactly as the live aggregator built it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.data.bars.helpers import Harness, et, tick
from theo.core.errors import DataError
from theo.data.bars.rollup import roll_minutes, rolls_from_minutes
from theo.model.enums import SessionKind
from theo.model.market import Bar

OPEN = et(2024, 3, 5, 9, 30)
PRINT = st.tuples(st.floats(100, 101, allow_nan=False).map(lambda p: round(p, 2)), st.integers(1, 5),
                  st.sampled_from(["", "", "I"]))  # "I" (odd lot): volume, not OHLC
MINUTES = st.lists(st.lists(PRINT, max_size=3), min_size=1, max_size=35)


@settings(max_examples=60, deadline=None)
@given(MINUTES)
def test_the_aggregators_bars_come_back_from_their_minutes(minutes: list[list[tuple[float, int, str]]]) -> None:
    h = Harness(["1m", "5m", "15m", "30m"], start=OPEN - timedelta(minutes=1))
    for i, prints in enumerate(minutes):
        for k, (price, size, condition) in enumerate(prints):
            t = OPEN + timedelta(minutes=i, seconds=1 + 10 * k)
            h.clock.advance_to(t)
            h.agg.on_tick(tick(t, price, size * 100.0, condition=condition))
    h.clock.advance_to(OPEN + timedelta(minutes=40, seconds=5))
    h.agg.on_time(h.clock.now())
    ones = h.of("1m")
    for b in h.bars:
        if b.timeframe != "1m":
            inside = [m for m in ones if b.start <= m.start < b.end]
            assert roll_minutes("SPY", inside, b.timeframe, b.start, b.end, b.session) == b


def _minute(i: int, o: float, hi: float, lo: float, c: float, v: float, n: int, source: str,
            flags: frozenset[str] = frozenset()) -> Bar:
    start = OPEN + timedelta(minutes=i)
    return Bar("SPY", "1m", start, start + timedelta(minutes=1), o, hi, lo, c, v, n, SessionKind.REGULAR, source, flags)


def test_by_hand_with_a_backfilled_minute() -> None:
    minutes = [_minute(0, 10, 11, 9, 10.5, 300, 3, "ibkr"),
               _minute(1, 10.5, 10.5, 10.5, 10.5, 0, 0, "ibkr", frozenset({"no_ticks"})),
               _minute(2, 10.6, 14, 10.2, 13, 900, 9, "polygon", frozenset({"backfill"})),
               _minute(3, 13, 13, 12, 12.5, 100, 1, "polygon", frozenset({"backfill"})),
               _minute(4, 12.5, 12.6, 12.4, 12.6, 50, 1, "ibkr", frozenset({"no_regular_prints"}))]
    bar = roll_minutes("SPY", minutes, "5m", OPEN, OPEN + timedelta(minutes=5), SessionKind.REGULAR,
                       carry=frozenset({"backfill"}))
    assert bar == Bar("SPY", "5m", OPEN, OPEN + timedelta(minutes=5), 10, 14, 9, 12.5, 1350, 14, SessionKind.REGULAR,
                      "ibkr", frozenset({"backfill"}))  # two minutes with trades each: the earlier feed


def test_an_empty_span_repeats_the_last_close_and_none_without_minutes() -> None:
    minutes = [_minute(0, 7, 7, 7, 7, 0, 0, "ibkr", frozenset({"no_ticks"}))]
    bar = roll_minutes("SPY", minutes, "5m", OPEN, OPEN + timedelta(minutes=5), SessionKind.REGULAR)
    assert bar is not None
    assert (bar.close, bar.tick_count, bar.flags) == (7, 0, frozenset({"no_ticks"}))
    assert roll_minutes("SPY", [], "5m", OPEN, OPEN + timedelta(minutes=5), SessionKind.REGULAR) is None


def test_a_minute_outside_the_bar_is_refused() -> None:
    with pytest.raises(DataError, match=r"SPY 1-minute bar .* is not inside the 5m bar"):
        roll_minutes("SPY", [_minute(5, 1, 1, 1, 1, 1, 1, "ibkr")], "5m", OPEN, OPEN + timedelta(minutes=5),
                     SessionKind.REGULAR)


@pytest.mark.parametrize(("label", "rolls"), [("5m", True), ("1h", True), ("1d", True), ("1m", False),
                                              ("5s", False), ("90s", False), ("weekly", False)])
def test_which_timeframes_are_built_from_minutes(label: str, rolls: bool) -> None:
    assert rolls_from_minutes(label) is rolls


def test_times_stay_utc() -> None:
    bar = roll_minutes("SPY", [_minute(0, 1, 1, 1, 1, 1, 1, "ibkr")], "5m", OPEN, OPEN + timedelta(minutes=5),
                       SessionKind.REGULAR)
    assert bar is not None
    assert bar.start == OPEN.astimezone(UTC)
    assert isinstance(bar.start, datetime)
