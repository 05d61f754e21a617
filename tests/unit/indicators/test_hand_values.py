"""Donchian channels and pivot points checked against values computed by hand from real bars."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.unit.indicators.support import arrays_from_frame, read_frame, to_bars
from theo.indicators import Donchian, Pivots, PivotValue
from theo.indicators.pivots import levels
from theo.model.enums import SessionKind
from theo.model.market import Bar

SPY_1D = "eqker/SPY_1d_2018-01-02_2019-02-15.csv.gz"
# Rows 0-5 of the file:        high      low      close
#   2018-01-02                268.81   267.40    268.77
#   2018-01-03                270.64   268.96    270.47
#   2018-01-04                272.16   270.5447  271.61
#   2018-01-05                273.56   271.95    273.42
#   2018-01-08                274.10   272.98    273.92
#   2018-01-09                275.25   274.081   274.54


def _daily_bars() -> list:
    return to_bars(arrays_from_frame(read_frame(SPY_1D), "SPY", "1d"), timedelta(days=1))


def test_donchian_3_on_real_daily_bars_matches_hand_values() -> None:
    d = Donchian(3)
    seen = []
    for bar in _daily_bars()[:6]:
        d.update(bar)
        seen.append(d.value)
    assert seen[0] is None
    assert seen[1] is None
    assert seen[2] is not None
    assert (seen[2].upper, seen[2].lower) == (272.16, 267.40)
    assert seen[2].middle == pytest.approx(269.78, abs=1e-12)
    assert seen[3] is not None
    assert (seen[3].upper, seen[3].lower) == (273.56, 268.96)
    assert seen[3].middle == pytest.approx(271.26, abs=1e-12)
    assert seen[5] is not None
    assert (seen[5].upper, seen[5].lower) == (275.25, 271.95)
    assert seen[5].middle == pytest.approx(273.60, abs=1e-12)


def _close(v: PivotValue | None, expected: tuple[float, ...]) -> None:
    assert v is not None
    got = (v.pp, v.r1, v.r2, v.r3, v.s1, v.s2, v.s3)
    assert got == pytest.approx(expected, abs=1e-6)


def test_daily_pivots_come_from_the_previous_bar_for_every_method() -> None:
    bars = _daily_bars()
    ind = {m: Pivots(m) for m in ("classic", "fibonacci", "camarilla", "woodie")}
    for p in ind.values():
        p.update(bars[0])
        assert p.value is None
        assert not p.ready
        p.update(bars[1])
    # From 2018-01-02: H=268.81 L=267.40 C=268.77; PP=(H+L+C)/3=804.98/3
    _close(ind["classic"].value, (268.326667, 269.253333, 269.736667, 270.663333,
                                  267.843333, 266.916667, 266.433333))
    # Woodie: PP=(H+L+2C)/4=1073.75/4=268.4375
    _close(ind["woodie"].value, (268.4375, 269.475, 269.8475, 270.885, 268.065, 267.0275, 266.655))
    for p in ind.values():
        p.update(bars[2])
    # From 2018-01-03: H=270.64 L=268.96 C=270.47, range 1.68; PP=810.07/3=270.023333
    _close(ind["fibonacci"].value, (270.023333, 270.665093, 271.061573, 271.703333,
                                    269.381573, 268.985093, 268.343333))
    # Camarilla: C ± 1.1·1.68/12, /6, /4 = 0.154, 0.308, 0.462
    _close(ind["camarilla"].value, (270.023333, 270.624, 270.778, 270.932, 270.316, 270.162, 270.008))


def test_intraday_pivots_use_the_previous_session_of_15_minute_bars() -> None:
    a = arrays_from_frame(read_frame("eqker/SPY_15min_2019-01-04_2019-02-15.csv.gz"), "SPY", "15m")
    p = Pivots("classic")
    values = []
    for bar in to_bars(a, timedelta(minutes=15)):
        p.update(bar)
        values.append(p.value)
    assert all(v is None for v in values[:26])  # the whole first session has no previous one
    # 2019-01-04: H=253.11 (13:00 bar), L=247.1701 (09:30 bar), C=252.45 (15:45 bar); PP=752.7301/3
    expected = (250.910033, 254.649967, 256.849933, 260.589867, 248.710067, 244.970133, 242.770167)
    for v in values[26:52]:  # every bar of 2019-01-07 carries the same levels
        _close(v, expected)
    assert values[52] != values[51]  # and 2019-01-08 gets new ones
    assert levels(253.11, 247.1701, 252.45) == values[26]


def test_extended_hours_bars_do_not_build_the_session_range_unless_asked() -> None:
    # 2019-01-04 ET: a pre-market bar with a spike, then two regular bars; 2019-01-07: one regular bar.
    rows = [("2019-01-04T13:00:00+00:00", 120.0, 99.0, 100.0, SessionKind.PRE),
            ("2019-01-04T14:30:00+00:00", 102.0, 98.0, 101.0, SessionKind.REGULAR),
            ("2019-01-04T15:30:00+00:00", 103.0, 99.5, 100.5, SessionKind.REGULAR),
            ("2019-01-07T14:30:00+00:00", 101.0, 100.0, 100.5, SessionKind.REGULAR)]
    bars = [Bar("T", "1m", datetime.fromisoformat(t), datetime.fromisoformat(t) + timedelta(minutes=1),
                c, h, lo, c, 1.0, 1, kind) for t, h, lo, c, kind in rows]
    regular, every = Pivots("classic"), Pivots("classic", regular_only=False)
    for b in bars:
        regular.update(b)
        every.update(b)
    assert regular.value is not None
    assert regular.value.pp == pytest.approx((103.0 + 98.0 + 100.5) / 3)  # the 120 spike is left out
    assert every.value is not None
    assert every.value.pp == pytest.approx((120.0 + 98.0 + 100.5) / 3)
