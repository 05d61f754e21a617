"""Timeframe labels, the source/target check and the session segments bars are aligned to."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from tests.unit.data.bars.helpers import et
from theo.core.calendar import ET, get_calendar
from theo.core.errors import ConfigError, TimeframeError
from theo.core.time import from_us, to_us
from theo.data.bars.timeframes import (
    MINUTE_US,
    SegmentCursor,
    check_rollup,
    minute_timeframe,
    next_segment,
    parse_timeframe,
    segment_at,
    session_grid_us,
    session_segments,
)
from theo.model.enums import SessionKind
from theo.strategy.settings import StrategySettings

ACCEPTED = r"use Ns, Nm or Nh of at most a day \(e\.g\. 5s, 1m, 90m, 1h\) or 1d \(one bar per regular session\)"


@pytest.mark.parametrize(("label", "seconds"), [("5s", 5), ("90s", 90), ("1m", 60), ("5m", 300), ("90m", 5400),
                                                ("1h", 3600), ("2h", 7200), ("24h", 86400), ("1440m", 86400),
                                                ("1d", None), (" 15m ", 900)])
def test_parse_timeframe_reads_seconds_minutes_hours_and_the_session_day(label: str, seconds: int | None) -> None:
    tf = parse_timeframe(label)
    assert tf.label == label.strip()
    assert tf.step_us == (None if seconds is None else seconds * 1_000_000)
    assert tf.daily is (seconds is None)
    assert tf.length_us == (seconds or 86400) * 1_000_000


def test_one_hour_and_sixty_minutes_share_their_buckets_but_keep_their_labels() -> None:
    a, b = parse_timeframe("1h"), parse_timeframe("60m")
    assert a.step_us == b.step_us
    assert (a.label, b.label) == ("1h", "60m")


@pytest.mark.parametrize("label", ["", "5", "m5", "0m", "05m", "5x", "5M", "1mo", "-5m", "1.5h", "tick", "0d"])
def test_a_label_of_no_known_form_is_refused_naming_it_and_the_forms(label: str) -> None:
    with pytest.raises(TimeframeError, match=rf"^timeframe {label!r} is not valid: {ACCEPTED}$"):
        parse_timeframe(label)


@pytest.mark.parametrize(("label", "message"), [
    ("2d", "timeframe '2d': only 1d (one bar per regular session) is supported"),
    ("1w", "timeframe '1w': weekly bars are not supported; use 1d"),
    ("25h", "timeframe '25h' is longer than a day; use 1d (one bar per regular session)"),
    ("1441m", "timeframe '1441m' is longer than a day; use 1d (one bar per regular session)"),
    ("86401s", "timeframe '86401s' is longer than a day; use 1d (one bar per regular session)"),
])
def test_days_weeks_and_lengths_over_a_day_are_refused_with_what_to_use(label: str, message: str) -> None:
    with pytest.raises(TimeframeError) as err:
        parse_timeframe(label)
    assert str(err.value) == message


def test_a_timeframe_error_is_a_config_error_and_a_value_error() -> None:
    with pytest.raises(ConfigError):
        parse_timeframe("5x")
    with pytest.raises(ValueError, match="timeframe '5x' is not valid"):
        parse_timeframe("5x")
    with pytest.raises(TimeframeError, match="timeframe None is not valid"):
        parse_timeframe(None)  # type: ignore[arg-type]


def test_the_live_collector_takes_whole_minutes_and_the_day_only() -> None:
    assert minute_timeframe("120s").step_us == 2 * MINUTE_US
    assert minute_timeframe("1d").daily
    with pytest.raises(TimeframeError, match="timeframe '5s': the bar collector builds bars from 1-minute bars; "
                                             r"use whole minutes \(1m, 5m, 1h\) or 1d"):
        minute_timeframe("5s")


def test_strategy_settings_read_the_timeframe_with_the_parser() -> None:
    assert StrategySettings(name="s", timeframe="1h").timeframe == "1h"
    assert StrategySettings(name="s", timeframe="5s").timeframe == "5s"
    with pytest.raises(ValidationError, match=r"timeframe\n  Value error, timeframe '5x' is not valid: use Ns"):
        StrategySettings(name="s", timeframe="5x")
    with pytest.raises(ValidationError, match="weekly bars are not supported"):
        StrategySettings(name="s", timeframe="1w")


def _refusal(source: str, target: str, **kw: object) -> str:
    with pytest.raises(TimeframeError) as err:
        check_rollup(parse_timeframe(source), parse_timeframe(target), "SPY", **kw)  # type: ignore[arg-type]
    return str(err.value)


@pytest.mark.parametrize(("source", "target"), [("1m", "1m"), ("1h", "60m"), ("1h", "1h"), ("1d", "1d"),
                                                ("5s", "1m"), ("5s", "7m"), ("1m", "7m"), ("1m", "1h"),
                                                ("1m", "1d"), ("15m", "1h"), ("15m", "1d"), ("45s", "90s")])
def test_check_rollup_accepts_whole_multiples_of_aligned_sources(source: str, target: str) -> None:
    check_rollup(parse_timeframe(source), parse_timeframe(target), "SPY")


def test_check_rollup_refuses_a_finer_target() -> None:
    assert _refusal("15m", "5m") == ("SPY: 5m bars cannot be built from 15m bars: 5m is finer than 15m; use data "
                                     "of 5m or finer")
    assert _refusal("1d", "1h") == ("SPY: 1h bars cannot be built from 1d bars: 1h is finer than 1d; use data of "
                                    "1h or finer")


def test_check_rollup_refuses_a_target_that_is_not_a_whole_multiple() -> None:
    assert _refusal("1h", "90m") == ("SPY: 90m bars cannot be built from 1h bars: 90m is not a whole multiple of "
                                     "1h; use data whose timeframe divides 90m")
    assert _refusal("7s", "1m").endswith("1m is not a whole multiple of 7s; use data whose timeframe divides 1m")


def test_check_rollup_refuses_clock_cut_bars_that_cannot_line_up_with_the_sessions() -> None:
    assert _refusal("1h", "1d") == (
        "SPY: 1d bars cannot be built from 1h bars: 1h bars cut from the clock straddle session boundaries (a "
        "09:00-10:00 bar holds pre-market and regular trading), so they cannot be aligned to the sessions; use "
        "data of 15m or a divisor of it, or 1d bars")
    assert "cannot be aligned to the sessions" in _refusal("1h", "2h")
    assert "use data of 15m or a divisor" in _refusal("30m", "1d")
    # NYSE boundaries all fall on half hours; a CME early close at 13:15 does not
    check_rollup(parse_timeframe("30m"), parse_timeframe("1d"), "SPY", get_calendar())
    assert "use data of 15m" in _refusal("30m", "1d", calendar=get_calendar("CME_EQUITY"))
    # bars built by this package start on their segment's grid whatever their length
    check_rollup(parse_timeframe("1h"), parse_timeframe("1d"), "SPY", session_aligned=True)


def test_the_session_grid_is_half_an_hour_on_nyse_and_a_quarter_on_cme() -> None:
    assert session_grid_us(get_calendar()) == 30 * MINUTE_US
    assert session_grid_us(get_calendar("CME_EQUITY")) == 15 * MINUTE_US


def test_a_segment_cursor_caches_the_segment_and_the_closed_gap_after_it() -> None:
    cur = SegmentCursor(get_calendar())
    seg = cur.at(to_us(et(2026, 11, 25, 19, 0)))
    assert seg is not None
    assert seg.kind is SessionKind.POST
    assert cur.at(to_us(et(2026, 11, 25, 20, 0))) is None  # post-market ends at 20:00
    # Thanksgiving 2026-11-26 is closed; the gap runs to the 04:00 pre-market of the early-close day
    assert from_us(cur.gap_end).astimezone(ET) == et(2026, 11, 27, 4, 0)
    assert cur.at(to_us(et(2026, 11, 26, 12, 0))) is None
    early = cur.at(to_us(et(2026, 11, 27, 12, 59)))
    assert early is not None
    assert from_us(early.end_us) == et(2026, 11, 27, 13, 0)


def _starts(day: date, kind: SessionKind, step_min: int) -> list[str]:
    seg = next(s for s in session_segments(get_calendar(), day) if s.kind is kind)
    out = []
    t = seg.start_us
    while t < seg.end_us:
        a, b = seg.bucket(t, step_min * MINUTE_US)
        out.append(f"{from_us(a).astimezone(ET):%H:%M}-{from_us(b).astimezone(ET):%H:%M}")
        t = b
    return out


def test_regular_60m_bars_start_at_0930_and_the_last_one_ends_at_the_close() -> None:
    starts = _starts(date(2013, 10, 7), SessionKind.REGULAR, 60)
    assert starts == ["09:30-10:30", "10:30-11:30", "11:30-12:30", "12:30-13:30", "13:30-14:30", "14:30-15:30",
                      "15:30-16:00"]


def test_early_close_day_cuts_the_last_bar_at_1300() -> None:
    # 2013-11-29, the day after Thanksgiving, closed at 13:00 ET.
    assert _starts(date(2013, 11, 29), SessionKind.REGULAR, 60)[-1] == "12:30-13:00"
    assert _starts(date(2013, 11, 29), SessionKind.POST, 60)[-1] == "16:00-17:00"


def test_pre_market_bars_are_aligned_to_0400_and_stop_at_the_open() -> None:
    assert _starts(date(2013, 10, 7), SessionKind.PRE, 120) == ["04:00-06:00", "06:00-08:00", "08:00-09:30"]


def test_segment_lookup_and_next_segment_skip_the_night_and_the_weekend() -> None:
    cal = get_calendar()
    assert segment_at(cal, to_us(et(2013, 10, 7, 9, 29, 59))).kind is SessionKind.PRE
    assert segment_at(cal, to_us(et(2013, 10, 7, 9, 30))).kind is SessionKind.REGULAR
    assert segment_at(cal, to_us(et(2013, 10, 5, 12, 0))) is None
    nxt = next_segment(cal, to_us(et(2013, 10, 11, 21, 0)))
    assert from_us(nxt.start_us) == et(2013, 10, 14, 4, 0)
    assert nxt.kind is SessionKind.PRE


def test_cme_futures_have_one_segment_from_1800_the_evening_before() -> None:
    cal = get_calendar("CME_EQUITY")
    segs = session_segments(cal, date(2013, 10, 8))
    assert len(segs) == 1
    assert from_us(segs[0].start_us) == et(2013, 10, 7, 18, 0)
    assert from_us(segs[0].end_us) == et(2013, 10, 8, 17, 0)
    a, _b = segs[0].bucket(to_us(et(2013, 10, 7, 18, 40)), 30 * MINUTE_US)
    assert from_us(a) == et(2013, 10, 7, 18, 30)
