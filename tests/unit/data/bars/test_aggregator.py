from __future__ import annotations

from datetime import timedelta

from tests.unit.data.bars.helpers import Harness, et, tick
from theo.data.conditions import NO_REGULAR_PRINTS, NO_TICKS
from theo.model.enums import SessionKind


def test_a_quiet_market_still_gets_its_bar_on_the_clock_flagged_no_ticks() -> None:
    h = Harness(["1m"])
    h.agg.on_tick(tick(et(2013, 10, 7, 10, 0, 5), 100.0))
    h.clock.advance_to(et(2013, 10, 7, 10, 1, 1))  # before end + lateness: nothing yet
    assert h.bars == []
    h.clock.advance_to(et(2013, 10, 7, 10, 3, 2))  # timers close 10:00, 10:01 and 10:02
    assert [b.start for b in h.bars] == [et(2013, 10, 7, 10, m) for m in (0, 1, 2)]
    first, *empty = h.bars
    assert (first.open, first.close, first.volume, first.tick_count, first.flags) == (100.0, 100.0, 100.0, 1,
                                                                                      frozenset())
    for b in empty:
        assert b.flags == frozenset({NO_TICKS})
        assert (b.open, b.high, b.low, b.close, b.volume, b.tick_count) == (100.0, 100.0, 100.0, 100.0, 0.0, 0)
    assert h.topics == ["bars.1m.SPY"] * 3


def test_no_empty_bars_before_the_first_tick_or_outside_sessions() -> None:
    h = Harness(["1m"])
    h.clock.advance_to(et(2013, 10, 7, 12, 0))
    assert h.bars == []
    h.agg.on_tick(tick(et(2013, 10, 7, 19, 58, 30), 100.0))
    h.clock.advance_to(et(2013, 10, 8, 4, 1, 30))  # post-market ends 20:00; pre-market opens 04:00
    assert [b.start for b in h.bars] == [et(2013, 10, 7, 19, 58), et(2013, 10, 7, 19, 59), et(2013, 10, 8, 4, 0)]
    assert h.bars[-1].session is SessionKind.PRE


def test_ohlc_volume_and_late_tick_within_tolerance_corrects_the_open_bar() -> None:
    h = Harness(["1m"], lateness=2.0)
    h.agg.on_tick(tick(et(2013, 10, 7, 10, 0, 10), 101.0, 100))
    h.agg.on_tick(tick(et(2013, 10, 7, 10, 0, 20), 103.0, 200))
    h.agg.on_tick(tick(et(2013, 10, 7, 10, 1, 1), 104.0, 50))  # next minute, watermark 10:01:01
    h.agg.on_tick(tick(et(2013, 10, 7, 10, 0, 5), 99.0, 10))  # late by 56 s but bar still open (until 10:01:02)
    h.agg.on_tick(tick(et(2013, 10, 7, 10, 1, 3), 104.5, 5))  # closes 10:00
    assert len(h.bars) == 1
    b = h.bars[0]
    assert (b.open, b.high, b.low, b.close, b.volume, b.tick_count) == (99.0, 103.0, 99.0, 103.0, 310.0, 3)
    h.agg.on_tick(tick(et(2013, 10, 7, 10, 0, 59), 50.0))  # too late: quarantined with a reason
    assert len(h.quarantine) == 1
    assert h.quarantine[0].reason == "late"
    assert "already closed" in h.quarantine[0].detail
    assert h.agg.quarantined["late"] == 1


def test_ticks_outside_every_session_go_to_quarantine() -> None:
    h = Harness(["1m"])
    h.agg.on_tick(tick(et(2013, 10, 5, 12, 0), 100.0))  # Saturday
    h.agg.on_tick(tick(et(2013, 10, 7, 20, 30), 100.0))  # after the post-market
    assert [q.reason for q in h.quarantine] == ["outside_session", "outside_session"]
    assert h.bars == []


def test_higher_timeframes_are_built_from_minutes_and_never_mix_sessions() -> None:
    h = Harness(["1m", "5m", "60m"])
    h.agg.on_tick(tick(et(2013, 10, 7, 9, 28, 0), 10.0))
    h.agg.on_tick(tick(et(2013, 10, 7, 9, 29, 30), 11.0))
    h.agg.on_tick(tick(et(2013, 10, 7, 9, 30, 0), 12.0))
    h.agg.on_tick(tick(et(2013, 10, 7, 9, 33, 0), 9.0))
    h.agg.on_tick(tick(et(2013, 10, 7, 9, 34, 59), 13.0))
    h.clock.advance_to(et(2013, 10, 7, 9, 35, 2))
    five = h.of("5m")
    assert [(b.start, b.end, b.session) for b in five] == [
        (et(2013, 10, 7, 9, 25), et(2013, 10, 7, 9, 30), SessionKind.PRE),
        (et(2013, 10, 7, 9, 30), et(2013, 10, 7, 9, 35), SessionKind.REGULAR)]
    pre, reg = five
    assert (pre.open, pre.high, pre.low, pre.close, pre.tick_count) == (10.0, 11.0, 10.0, 11.0, 2)
    assert (reg.open, reg.high, reg.low, reg.close, reg.tick_count) == (12.0, 13.0, 9.0, 13.0, 3)
    hour = h.of("60m")
    assert [(b.start, b.end) for b in hour] == [(et(2013, 10, 7, 9, 0), et(2013, 10, 7, 9, 30))]
    h.clock.advance_to(et(2013, 10, 7, 10, 30, 2))
    assert h.of("60m")[-1].start == et(2013, 10, 7, 9, 30)
    assert h.of("60m")[-1].end == et(2013, 10, 7, 10, 30)
    assert h.topics.count("bars.60m.SPY") == 2


def test_odd_lots_move_volume_but_not_ohlc_unless_a_bar_has_nothing_else() -> None:
    h = Harness(["1m", "5m"])
    h.agg.on_tick(tick(et(2013, 10, 7, 10, 0, 1), 100.0, 100, condition="1"))
    h.agg.on_tick(tick(et(2013, 10, 7, 10, 0, 2), 120.0, 7, condition="20000020"))
    h.agg.on_tick(tick(et(2013, 10, 7, 10, 1, 2), 90.0, 7, condition="20000020"))
    h.agg.flush()
    m0, m1 = h.of("1m")
    assert (m0.high, m0.volume, m0.flags) == (100.0, 107.0, frozenset())
    assert (m1.open, m1.flags) == (90.0, frozenset({NO_REGULAR_PRINTS}))
    (five,) = h.of("5m")
    assert (five.open, five.high, five.low, five.close, five.volume) == (100.0, 100.0, 100.0, 100.0, 114.0)


def test_flush_emits_open_bars_once() -> None:
    h = Harness(["1m", "15m"], lateness=0.0)
    h.agg.on_tick(tick(et(2013, 10, 7, 10, 0, 1), 100.0))
    h.agg.flush()
    h.agg.flush()
    assert [b.timeframe for b in h.bars] == ["1m", "15m"]
    assert h.agg.lateness_us == 0
    assert timedelta(microseconds=h.agg.lateness_us) == timedelta(0)
