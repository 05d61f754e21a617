"""The engine's roll-up: session alignment, closing on time, unused items, pass-through, order of bars."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from tests.unit.data.bars.helpers import et
from theo.core.calendar import ET, get_calendar
from theo.core.errors import DataError, TimeframeError
from theo.core.time import to_us
from theo.data.bars.batch import rollup
from theo.data.bars.rollup import BarRollup, Unused
from theo.model.enums import SessionKind
from theo.model.market import Bar

CAL = get_calendar()
MIN = 60_000_000


def _rollup(targets: list[tuple[str, str]], **kw: object) -> BarRollup:
    return BarRollup(targets, lambda _s: CAL, **kw)  # type: ignore[arg-type]


def _minutes(r: BarRollup, first: datetime, n: int, symbol: str = "SPY", step: int = MIN) -> list[Bar]:
    """Feed ``n`` bars from ``first`` (price = index), advancing to each bar's end; return what closed."""
    out: list[Bar] = []
    t0 = to_us(first)
    for i in range(n):
        s = t0 + i * step
        r.add_bar(symbol, s, s + step, 100.0 + i, 100.5 + i, 99.5 + i, 100.25 + i, 10.0)
        out += r.advance(s + step)
    return out


def _spans(bars: list[Bar], tf: str, kind: SessionKind | None = None) -> list[str]:
    return [f"{b.start.astimezone(ET):%H:%M}-{b.end.astimezone(ET):%H:%M}" for b in bars
            if b.timeframe == tf and (kind is None or b.session is kind)]


def test_a_regular_60m_series_starts_at_0930_and_ends_at_the_close() -> None:
    r = _rollup([("SPY", "60m"), ("SPY", "1d")])
    bars = _minutes(r, et(2026, 11, 25, 4, 0), 16 * 60)
    assert _spans(bars, "60m", SessionKind.REGULAR) == ["09:30-10:30", "10:30-11:30", "11:30-12:30", "12:30-13:30",
                                                         "13:30-14:30", "14:30-15:30", "15:30-16:00"]
    assert _spans(bars, "60m", SessionKind.PRE)[-2:] == ["08:00-09:00", "09:00-09:30"]
    assert _spans(bars, "60m", SessionKind.POST) == ["16:00-17:00", "17:00-18:00", "18:00-19:00", "19:00-20:00"]
    assert _spans(bars, "1d") == ["09:30-16:00"]
    day = next(b for b in bars if b.timeframe == "1d")
    assert (day.open, day.close, day.tick_count, day.volume) == (100.0 + 330, 100.25 + 719, 390, 3900.0)
    assert (day.high, day.low) == (100.5 + 719, 99.5 + 330)


def test_on_the_early_close_the_last_regular_bar_and_the_day_end_at_1300() -> None:
    r = _rollup([("SPY", "60m"), ("SPY", "1d")])
    bars = _minutes(r, et(2026, 11, 27, 9, 0), 9 * 60)
    assert _spans(bars, "60m", SessionKind.REGULAR)[-1] == "12:30-13:00"
    assert _spans(bars, "1d") == ["09:30-13:00"]
    assert _spans(bars, "60m", SessionKind.POST) == ["13:00-14:00", "14:00-15:00", "15:00-16:00", "16:00-17:00"]
    assert r.outside == {Unused.CLOSED: 60}  # 17:00-18:00: the early-close post-market ends at 17:00


def test_a_bar_closes_when_time_reaches_its_end_and_carries_its_items() -> None:
    r = _rollup([("SPY", "5m")])
    t = to_us(et(2026, 11, 25, 9, 30))
    r.add_tick("SPY", t + 1_000_000, 10.0, 100.0)
    r.add_tick("SPY", t + 2 * MIN, 12.0, 50.0)
    r.add_tick("SPY", t + 3 * MIN, 9.0, 25.0)
    assert r.advance(t + 5 * MIN - 1) == []
    (bar,) = r.advance(t + 5 * MIN)
    assert bar == Bar("SPY", "5m", et(2026, 11, 25, 9, 30), et(2026, 11, 25, 9, 35), 10.0, 12.0, 9.0, 9.0, 175.0,
                      3, SessionKind.REGULAR, "rollup")
    assert r.advance(t + 60 * MIN) == []  # only buckets with items make bars
    assert r.flush() == []


def test_items_not_used_are_counted_by_reason() -> None:
    r = _rollup([("SPY", "1m")])
    r.add_tick("SPY", to_us(et(2026, 11, 26, 12, 0)), 1.0, 1.0)  # Thanksgiving
    r.add_tick("SPY", to_us(et(2026, 11, 26, 12, 1)), 1.0, 1.0)
    r.add_tick("SPY", to_us(et(2026, 11, 27, 3, 59)), 1.0, 1.0)  # before the pre-market
    r.add_tick("SPY", to_us(et(2026, 11, 28, 10, 0)), 1.0, 1.0)  # Saturday
    r.add_tick("QQQ", to_us(et(2026, 11, 30, 10, 0)), 1.0, 1.0)  # no target
    r.add_tick("SPY", to_us(et(2026, 11, 30, 10, 0)), 1.0, 1.0)
    r.advance(to_us(et(2026, 11, 30, 10, 0, 30)))
    r.add_tick("SPY", to_us(et(2026, 11, 30, 10, 0, 10)), 1.0, 1.0)  # time already advanced past it
    assert r.outside == {Unused.CLOSED: 4, Unused.NO_TARGET: 1, Unused.LATE: 1}
    assert r.outside["closed"] == 4
    assert [b.start for b in r.flush()] == [et(2026, 11, 30, 10, 0)]


def test_bars_of_one_advance_come_by_end_then_by_target_order() -> None:
    r = _rollup([("QQQ", "5m"), ("SPY", "1m"), ("SPY", "5m"), ("SPY", "1m")])  # a repeated pair counts once
    t = to_us(et(2026, 11, 25, 9, 30))
    for i in range(5):
        for sym in ("SPY", "QQQ"):
            r.add_bar(sym, t + i * MIN, t + (i + 1) * MIN, 1.0, 1.0, 1.0, 1.0, 1.0)
    got = [(b.symbol, b.timeframe, f"{b.end.astimezone(ET):%H:%M}") for b in r.advance(t + 5 * MIN)]
    assert got == [("SPY", "1m", "09:31"), ("SPY", "1m", "09:32"), ("SPY", "1m", "09:33"), ("SPY", "1m", "09:34"),
                   ("QQQ", "5m", "09:35"), ("SPY", "1m", "09:35"), ("SPY", "5m", "09:35")]


def test_flush_returns_the_open_bars_complete_or_not() -> None:
    r = _rollup([("SPY", "1h"), ("SPY", "1d")])
    _minutes(r, et(2026, 11, 25, 9, 30), 45)
    assert _spans(r.flush(), "1h") == ["09:30-10:30"]
    assert r.flush() == []


def test_a_source_equal_to_the_target_passes_bars_through_unchanged() -> None:
    r = _rollup([("SPY", "1h")], sources={"SPY": "1h"})
    t = to_us(et(2026, 11, 25, 9, 0))  # clock-cut hourly bars, as data files have them
    for i in range(3):
        r.add_bar("SPY", t + i * 60 * MIN, t + (i + 1) * 60 * MIN, 1.0 + i, 2.0 + i, 0.5 + i, 1.5 + i, 7.0)
    bars = r.flush()
    assert _spans(bars, "1h") == ["09:00-10:00", "10:00-11:00", "11:00-12:00"]
    assert [b.session for b in bars] == [SessionKind.PRE, SessionKind.REGULAR, SessionKind.REGULAR]
    assert [(b.open, b.high, b.low, b.close, b.volume, b.tick_count) for b in bars][1] == (2.0, 3.0, 1.5, 2.5, 7.0, 1)


def test_sources_are_checked_and_a_bar_across_a_boundary_is_refused() -> None:
    with pytest.raises(TimeframeError, match="SPY 1d: 1d bars cannot be built from 1h bars"):
        _rollup([("SPY", "1d")], sources={"SPY": "1h"})
    t = to_us(et(2026, 11, 25, 9, 0))  # a clock-cut 09:00-10:00 bar holds pre-market and regular trading
    with pytest.raises(DataError, match=r"SPY: the source bar 2026-11-25T14:00:00\+00:00 to 2026-11-25T15:00:00"
                                        r"\+00:00 does not fit in the PRE segment 2026-11-25T09:00:00\+00:00 to "
                                        r"2026-11-25T14:30:00\+00:00: a bar must not straddle"):
        _rollup([("SPY", "1d")]).add_bar("SPY", t, t + 60 * MIN, 1.0, 1.0, 1.0, 1.0, 1.0)
    with pytest.raises(DataError, match=r"SPY: the source bar .* does not fit in the PRE segment"):
        rollup("SPY", np.array([t]), np.array([t + 60 * MIN]), *np.ones((5, 1)), "1d", CAL)
    with pytest.raises(DataError, match=r"does not fit in the 1h bar 2026-11-25T14:30:00\+00:00 to 2026-11-25T15:30"):
        _rollup([("SPY", "1h")]).add_bar("SPY", t + 60 * MIN, t + 120 * MIN, 1.0, 1.0, 1.0, 1.0, 1.0)
    with pytest.raises(DataError, match=r"does not fit in the 1h bar 2026-11-25T14:30:00\+00:00 to 2026-11-25T15:30"):
        rollup("SPY", np.array([t + 60 * MIN]), np.array([t + 120 * MIN]), *np.ones((5, 1)), "1h", CAL)


def test_daily_source_bars_labelled_by_date_pass_through_on_session_days() -> None:
    days = [et(2026, 11, d, 0, 0) for d in (25, 26, 27)]  # 26: Thanksgiving
    r = _rollup([("SPY", "1d")], sources={"SPY": "1d"})
    for i, d in enumerate(days):
        r.add_bar("SPY", to_us(d), to_us(d + timedelta(days=1)), 1.0 + i, 2.0, 0.5, 1.5, 9.0)
    bars = r.flush()
    assert [(b.start, b.open, b.session) for b in bars] == [(days[0], 1.0, SessionKind.REGULAR),
                                                            (days[2], 3.0, SessionKind.REGULAR)]
    assert r.outside == {Unused.CLOSED: 1}
    start = np.array([to_us(d) for d in days])
    batch = rollup("SPY", start, start + 86_400 * 1_000_000, 1.0 + np.arange(3), *np.array([[2.0] * 3, [0.5] * 3,
                   [1.5] * 3, [9.0] * 3]), "1d", CAL, source="1d")
    assert batch.to_bars("rollup") == bars
    assert batch.outside.tolist() == [False, True, False]
