"""AlignedPair: misaligned timestamps, gaps, stale series and out-of-order bars are handled explicitly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from theo.core.errors import ConfigError, DataError
from theo.indicators.correlation import AlignedPair, RollingCorrelation, correlation_matrix, rolling_pair
from theo.model.market import Bar

T0 = datetime(2019, 2, 11, 14, 30, tzinfo=UTC)


def bar(sym: str, minute: int, close: float, tf: str = "1m") -> Bar:
    start = T0 + timedelta(minutes=minute)
    return Bar(sym, tf, start, start + timedelta(minutes=1), close, close, close, close, 1.0, 1)


def _pair(window: int = 5, min_points: int = 3) -> AlignedPair:
    return AlignedPair("A", "B", "1m", RollingCorrelation("pearson", window, min_points, on="prices"))


def test_bars_pair_on_equal_starts_whatever_the_arrival_order() -> None:
    p = _pair()
    assert not p.on_bar(bar("A", 0, 1.0))
    assert p.on_bar(bar("B", 0, 10.0))
    assert not p.on_bar(bar("B", 1, 12.0))  # B first this time
    assert p.on_bar(bar("A", 1, 2.0))
    assert p.pairs == 2
    assert p.corr.count == 2
    assert p.status == "not_enough_data"
    assert p.value is None
    p.on_bar(bar("A", 2, 3.0))
    p.on_bar(bar("B", 2, 13.0))
    assert p.status == "ok"
    assert p.value is not None


def test_a_bar_without_partner_is_left_out_and_counted() -> None:
    p = _pair()
    for m, (a, b) in enumerate([(1.0, 2.0), (2.0, 4.0), (3.0, 6.0)]):
        p.on_bar(bar("A", m, a))
        p.on_bar(bar("B", m, b))
    p.on_bar(bar("A", 3, 100.0))  # B has no minute 3
    p.on_bar(bar("B", 4, 8.0))  # B moved past minute 3: A's bar can never pair
    p.on_bar(bar("A", 4, 4.0))
    assert p.unpaired == {"A": 1, "B": 0}
    assert p.corr.count == 4
    assert p.value == pytest.approx(1.0)
    p.on_bar(bar("A", 5, 5.0))  # its partner comes late: still pairs
    p.on_bar(bar("A", 6, 6.0))
    assert p.on_bar(bar("B", 5, 10.0))
    assert not p.on_bar(bar("B", 7, 14.0))
    assert p.unpaired == {"A": 2, "B": 0}


def test_a_lagging_series_is_stale_and_gives_no_value() -> None:
    p = _pair(window=5, min_points=2)
    for m in range(4):
        p.on_bar(bar("A", m, 1.0 + m))
        p.on_bar(bar("B", m, 2.0 + m * m))
    assert p.status == "ok"
    for m in range(4, 11):
        p.on_bar(bar("A", m, 1.0 + m))
    assert p.status == "stale"
    assert p.value is None
    p.on_bar(bar("B", 10, 50.0))
    assert p.status == "ok"
    assert p.status_at(T0 + timedelta(minutes=30)) == "stale"
    assert p.status_at(T0 + timedelta(minutes=12)) == "ok"


def test_one_silent_series_is_stale() -> None:
    p = _pair()
    for m in range(8):
        p.on_bar(bar("A", m, 1.0 + m))
    assert p.status == "stale"


def test_out_of_order_and_foreign_bars() -> None:
    p = _pair()
    p.on_bar(bar("A", 3, 1.0))
    with pytest.raises(DataError, match="is not after the previous one"):
        p.on_bar(bar("A", 3, 1.0))
    assert not p.on_bar(bar("C", 4, 1.0))
    assert not p.on_bar(bar("A", 4, 1.0, tf="5m"))
    with pytest.raises(ConfigError, match="two different symbols"):
        AlignedPair("A", "A", "1m", RollingCorrelation())
    with pytest.raises(ConfigError, match="timeframe '7x' is not valid"):
        AlignedPair("A", "B", "7x", RollingCorrelation())


def test_streaming_pair_equals_batch_on_misaligned_series() -> None:
    rng = np.random.default_rng(3)
    a_min = np.sort(rng.choice(400, 300, replace=False))
    b_min = np.sort(rng.choice(400, 300, replace=False))
    pa = 100 * np.exp(np.cumsum(rng.normal(0, 0.001, 300)))
    pb = 50 * np.exp(np.cumsum(rng.normal(0, 0.001, 300)))
    def to_us(m):
        return (int((T0 + timedelta(minutes=int(m))).timestamp()) * 1_000_000)
    ts, batch = rolling_pair(np.array([to_us(m) for m in a_min]), pa, np.array([to_us(m) for m in b_min]), pb,
                             window=20, method="kendall", min_points=5)
    p = AlignedPair("A", "B", "1m", RollingCorrelation("kendall", 20, 5), max_staleness=timedelta(days=1))
    events = sorted([(int(m), "A", float(v)) for m, v in zip(a_min, pa, strict=True)]
                    + [(int(m), "B", float(v)) for m, v in zip(b_min, pb, strict=True)])
    got = []
    for m, sym, v in events:
        if p.on_bar(bar(sym, m, v)):
            got.append(np.nan if p.corr.value is None else p.corr.value)
    assert len(got) == len(ts) + 1
    np.testing.assert_allclose(got[1:], batch, atol=1e-12, equal_nan=True)


def test_matrix_is_symmetric_with_explicit_statuses() -> None:
    rng = np.random.default_rng(5)
    start = np.arange(200, dtype=np.int64) * 60_000_000
    base = np.exp(np.cumsum(rng.normal(0, 0.01, 200)))
    series = {
        "X": (start, 100 * base),
        "Y": (start, 50 * base * np.exp(rng.normal(0, 0.002, 200))),
        "SHORT": (start[-10:], 20 + rng.random(10)),
        "OLD": (start[:150], 30 * np.exp(np.cumsum(rng.normal(0, 0.01, 150)))),
    }
    m = correlation_matrix(series, "spearman", window=50, min_points=20, max_staleness_us=5 * 60_000_000)
    assert m.symbols == ("X", "Y", "SHORT", "OLD")
    assert np.array_equal(m.values, m.values.T, equal_nan=True)
    assert m.values[0, 0] == 1.0
    assert m.values[0, 1] > 0.9
    assert m.status[0, 1] == "ok"
    assert m.status[0, 2] == "not_enough_data"
    assert np.isnan(m.values[0, 2])
    assert m.n_points[0, 2] == 9
    assert m.status[0, 3] == "stale"
    assert m.n_points[0, 3] == 50
    r = rolling_pair(start, series["X"][1], start, series["Y"][1], window=50, method="spearman", min_points=20)
    assert m.values[0, 1] == r[1][-1]


def test_waiting_bars_are_bounded_when_the_other_series_is_silent() -> None:
    p = AlignedPair("A", "B", "1m", RollingCorrelation("pearson", 5, 3, on="prices"), max_pending=3)
    for m in range(5):
        p.on_bar(bar("A", m, 1.0 + m))
    assert p.unpaired == {"A": 2, "B": 0}
    assert not p.on_bar(bar("B", 0, 1.0))  # minute 0 was dropped: B's bar finds no partner
    assert p.on_bar(bar("B", 2, 3.0))
