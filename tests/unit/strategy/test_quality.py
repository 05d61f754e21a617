"""Strategy-level data-quality gates on bars: gap, stale, z-score outlier, settlement, market hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from theo.model.market import Bar
from theo.strategy.library.correlation_config import QualitySettings
from theo.strategy.quality import QualityGate

T0 = datetime(2019, 2, 12, 15, 0, tzinfo=UTC)  # 10:00 New York, a Tuesday session
MIN = timedelta(minutes=1)


def bar(symbol: str, start: datetime, close: float) -> Bar:
    return Bar(symbol, "1m", start, start + MIN, close, close + 0.01, close - 0.01, close, 100.0)


def gate(**kw: object) -> QualityGate:
    return QualityGate(("SPY", "VIX"), QualitySettings(**kw), MIN)  # type: ignore[arg-type]


def feed(g: QualityGate, symbol: str, closes: list[float], start: datetime = T0) -> None:
    for i, c in enumerate(closes):
        g.update(bar(symbol, start + i * MIN, c))


def test_clean_series_pass() -> None:
    g = gate()
    closes = [100 + 0.01 * ((-1) ** i) * (i % 7) for i in range(30)]
    feed(g, "SPY", closes)
    feed(g, "VIX", [16 + c / 1000 for c in closes])
    report = g.check(T0 + 30 * MIN, {"SPY", "VIX"})
    assert report.ok, report.describe()
    assert report.describe() == "ok"


def test_gap_inside_a_session_fails_beyond_the_limit() -> None:
    g = gate(max_gap_bars=2)
    feed(g, "SPY", [100, 100.1])
    g.update(bar("SPY", T0 + 5 * MIN, 100.2))  # minutes 2, 3, 4 missing
    feed(g, "VIX", [16] * 6)
    assert g.symbols["SPY"].gap == 3
    assert g.check(T0 + 6 * MIN, {"SPY", "VIX"}).failures == ("gap:SPY:3 bars missing",)


def test_overnight_is_not_a_gap() -> None:
    g = gate(max_gap_bars=0, max_settlement_deviation_pct=None)
    feed(g, "SPY", [100], start=T0)
    next_day = T0 + timedelta(days=1)
    g.update(bar("SPY", next_day, 100.5))
    feed(g, "VIX", [16], start=next_day)
    assert g.symbols["SPY"].gap == 0
    assert g.check(next_day + MIN, {"SPY", "VIX"}).ok


def test_stale_symbol_fails() -> None:
    g = gate(stale_after_seconds=300)
    feed(g, "SPY", [100] * 11)
    feed(g, "VIX", [16])  # last VIX bar ended at T0 + 1 min
    report = g.check(T0 + 11 * MIN, {"SPY"})
    assert report.failures == ("stale:VIX:600s",)


def test_zscore_outlier_fails() -> None:
    g = gate(zscore_limit=5.0)
    closes = [100 + 0.01 * (i % 2) for i in range(20)] + [103.0]
    feed(g, "SPY", closes)
    feed(g, "VIX", [16 + 0.01 * (i % 2) for i in range(21)])
    failures = g.check(T0 + 21 * MIN, {"SPY", "VIX"}).failures
    assert len(failures) == 1
    assert failures[0].startswith("outlier:SPY:z=")
    assert g.symbols["SPY"].zscore is not None
    assert g.symbols["SPY"].zscore > 5


def test_settlement_deviation_from_previous_close_fails() -> None:
    g = gate(max_settlement_deviation_pct=5.0, zscore_limit=1000.0)
    feed(g, "SPY", [100, 100], start=T0 - timedelta(days=1))
    feed(g, "SPY", [120], start=T0)
    feed(g, "VIX", [16], start=T0)
    assert g.symbols["SPY"].previous_close == 100
    assert g.check(T0 + MIN, {"SPY", "VIX"}).failures == ("settlement:SPY:20.0% from previous close 100",)


@pytest.mark.parametrize(("hours", "ok"), [("regular", False), ("extended", True), ("any", True)])
def test_market_hours(hours: str, ok: bool) -> None:
    pre = datetime(2019, 2, 12, 13, 0, tzinfo=UTC)  # 08:00 New York: pre-market
    g = gate(market_hours=hours)
    feed(g, "SPY", [100], start=pre)
    feed(g, "VIX", [16], start=pre)
    report = g.check(pre + MIN, {"SPY", "VIX"})
    assert report.ok is ok
    if not ok:
        assert report.failures == ("hours:SPY:PRE", "hours:VIX:PRE")


def test_flagged_bars_fail() -> None:
    g = gate()
    g.update(Bar("SPY", "1m", T0, T0 + MIN, 100, 100, 100, 100, 0.0, flags=frozenset({"outlier", "late"})))
    feed(g, "VIX", [16])
    assert g.check(T0 + MIN, {"SPY", "VIX"}).failures == ("flagged:SPY:outlier",)


def test_cme_sessions_start_the_evening_before() -> None:
    # ES on CME_EQUITY: the 2019-02-12 session runs from 18:00 New York on 02-11 to 17:00 on 02-12.
    g = QualityGate(("ES",), QualitySettings(calendar="CME_EQUITY", max_settlement_deviation_pct=1.0,
                                             market_hours="any", zscore_limit=1000.0), MIN)
    day1_close = datetime(2019, 2, 11, 21, 59, tzinfo=UTC)  # 16:59 New York, end of the 02-11 session
    evening = datetime(2019, 2, 11, 23, 0, tzinfo=UTC)  # 18:00 New York: the 02-12 session opens
    after_midnight = datetime(2019, 2, 12, 5, 0, tzinfo=UTC)  # 00:00 New York, same 02-12 session
    g.update(bar("ES", day1_close, 2700.0))
    g.update(bar("ES", evening, 2701.0))
    q = g.symbols["ES"]
    assert q.previous_close == 2700.0  # the new session began at 18:00, not at midnight
    g.update(bar("ES", after_midnight, 2740.0))
    assert q.previous_close == 2700.0  # midnight is inside the session: still the 02-11 close
    assert q.gap > 3  # and the missing night bars are a gap inside the session
    report = g.check(after_midnight + MIN, {"ES"})
    assert "settlement:ES:1.5% from previous close 2700.0" in report.failures
