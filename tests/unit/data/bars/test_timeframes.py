from __future__ import annotations

from datetime import date

import pytest

from tests.unit.data.bars.helpers import et
from theo.core.calendar import ET, get_calendar
from theo.data.bars.timeframes import MINUTE_US, next_segment, parse_timeframe, segment_at, session_segments
from theo.model.enums import SessionKind
from theo.persistence.types import from_micros, to_micros


@pytest.mark.parametrize(("label", "minutes"), [("1m", 1), ("5m", 5), ("90m", 90), ("1h", 60), ("2h", 120),
                                                ("1d", None)])
def test_parse_timeframe_reads_minutes_hours_and_days(label: str, minutes: int | None) -> None:
    tf = parse_timeframe(label)
    assert tf.label == label
    assert tf.minutes == minutes


@pytest.mark.parametrize("label", ["", "5", "0m", "5x", "2d", "25h", "m5"])
def test_parse_timeframe_refuses_bad_labels_naming_them(label: str) -> None:
    with pytest.raises(ValueError, match="timeframe"):
        parse_timeframe(label)


def _starts(day: date, kind: SessionKind, step_min: int) -> list[str]:
    seg = next(s for s in session_segments(get_calendar(), day) if s.kind is kind)
    out = []
    t = seg.start_us
    while t < seg.end_us:
        a, b = seg.bucket(t, step_min * MINUTE_US)
        out.append(f"{from_micros(a).astimezone(ET):%H:%M}-{from_micros(b).astimezone(ET):%H:%M}")
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
    assert segment_at(cal, to_micros(et(2013, 10, 7, 9, 29, 59))).kind is SessionKind.PRE
    assert segment_at(cal, to_micros(et(2013, 10, 7, 9, 30))).kind is SessionKind.REGULAR
    assert segment_at(cal, to_micros(et(2013, 10, 5, 12, 0))) is None
    nxt = next_segment(cal, to_micros(et(2013, 10, 11, 21, 0)))
    assert from_micros(nxt.start_us) == et(2013, 10, 14, 4, 0)
    assert nxt.kind is SessionKind.PRE


def test_cme_futures_have_one_segment_from_1800_the_evening_before() -> None:
    cal = get_calendar("CME_EQUITY")
    segs = session_segments(cal, date(2013, 10, 8))
    assert len(segs) == 1
    assert from_micros(segs[0].start_us) == et(2013, 10, 7, 18, 0)
    assert from_micros(segs[0].end_us) == et(2013, 10, 8, 17, 0)
    a, _b = segs[0].bucket(to_micros(et(2013, 10, 7, 18, 40)), 30 * MINUTE_US)
    assert from_micros(a) == et(2013, 10, 7, 18, 30)
