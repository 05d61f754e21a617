from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from theo.adapters.sim.synthetic import SyntheticMarket
from theo.core.calendar import get_calendar
from theo.core.clock import SimulatedClock
from theo.data.bars.batch import aggregate_arrays
from theo.data.config import SyntheticConfig, SyntheticInstrument
from theo.model.market import Tick

CAL = get_calendar()
WEEK = (datetime(2024, 3, 4, tzinfo=UTC), datetime(2024, 3, 9, tzinfo=UTC))


def _closes(m: SyntheticMarket) -> tuple[list[dict[int, float]], int]:
    parts = list(m.segment_ticks_between(*WEEK))
    sym = np.concatenate([p.symbol for _, p in parts])
    ts = np.concatenate([p.ts_us for _, p in parts])
    px = np.concatenate([p.price for _, p in parts])
    sz = np.concatenate([p.size for _, p in parts])
    out = []
    for j in range(len(m.symbols)):
        k = sym == j
        b = aggregate_arrays(m.symbols[j], ts[k], px[k], sz[k], np.ones(int(k.sum()), bool), "1m", CAL)
        out.append(dict(zip(b.start_us.tolist(), b.close.tolist(), strict=True)))
    return out, len(parts)


def test_a_target_correlation_of_08_is_measured_within_005_over_a_simulated_week() -> None:
    cfg = SyntheticConfig(correlation=[[1, 0.8], [0.8, 1]], jump_prob=0.0, seed=21)
    (a, b), sessions = _closes(SyntheticMarket(cfg))
    assert sessions == 5
    common = sorted(set(a) & set(b))
    assert len(common) >= 1900
    ra = np.diff(np.log([a[t] for t in common]))
    rb = np.diff(np.log([b[t] for t in common]))
    assert abs(np.corrcoef(ra, rb)[0, 1] - 0.8) <= 0.05


def test_same_seed_same_prints_and_prices_sit_on_the_tick_grid() -> None:
    cfg = SyntheticConfig(instruments=[SyntheticInstrument(symbol="ES", start_price=4000, tick_size=0.25),
                                       SyntheticInstrument(symbol="SPY", start_price=400)],
                          correlation=[[1, 0.9], [0.9, 1]], seed=5)
    one = list(SyntheticMarket(cfg).events_between(WEEK[0], WEEK[0] + timedelta(hours=16)))
    two = list(SyntheticMarket(cfg).events_between(WEEK[0], WEEK[0] + timedelta(hours=16)))
    assert one == two
    assert len(one) > 5_000
    es = np.array([t.price for t in one if t.symbol == "ES"])
    assert np.allclose(np.round(es / 0.25) * 0.25, es)
    assert all(t.source == "synthetic" and t.received is not None and t.received > t.ts for t in one[:100])
    assert [t.ts for t in one] == sorted(t.ts for t in one)
    other = list(SyntheticMarket(cfg.model_copy(update={"seed": 6})).events_between(WEEK[0], WEEK[0] +
                                                                                      timedelta(hours=16)))
    assert [t.price for t in other[:50]] != [t.price for t in one[:50]]


def test_jumps_happen_at_the_configured_rate() -> None:
    cfg = SyntheticConfig(jump_prob=0.02, jump_size=30.0, seasonality=False, seed=1)
    (a, _), _ = _closes(SyntheticMarket(cfg))
    r = np.abs(np.diff(np.log(list(a.values()))))
    big = int((r > 10 * np.median(r)).sum())
    assert 15 <= big <= 80  # about 0.02 × 1950 minutes ≈ 39


def test_intraday_seasonality_makes_the_open_busier_than_midday() -> None:
    m = SyntheticMarket(SyntheticConfig(seed=3))
    ticks = list(m.events_between(WEEK[0], WEEK[0] + timedelta(days=1)))
    first = sum(1 for t in ticks if t.ts.astimezone(CAL_ET).hour == 9)
    noon = sum(1 for t in ticks if t.ts.astimezone(CAL_ET).hour == 12 and t.ts.astimezone(CAL_ET).minute < 30)
    assert first > 1.5 * noon


CAL_ET = __import__("theo.core.calendar", fromlist=["ET"]).ET


def test_unsubscribed_symbols_are_not_delivered_and_the_market_only_moves_forward() -> None:
    m = SyntheticMarket(SyntheticConfig())
    m.unsubscribe(["QQQ"])
    ticks = list(m.events_between(WEEK[0], WEEK[0] + timedelta(hours=16)))
    assert {t.symbol for t in ticks} == {"SPY"}
    with pytest.raises(ValueError, match="only moves forward"):
        list(m.events_between(WEEK[0], WEEK[0] + timedelta(hours=16)))


def test_bad_correlation_matrix_is_refused() -> None:
    with pytest.raises(ValueError, match="positive semi-definite"):
        SyntheticConfig(instruments=[SyntheticInstrument(symbol=s, start_price=10) for s in "ABC"],
                        correlation=[[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]])
    with pytest.raises(ValueError, match="2x2"):
        SyntheticConfig(correlation=[[1.0]])


class _RushingClock(SimulatedClock):
    """Each reading is one second later, so the paced run never has to wait in this test."""

    def now(self) -> datetime:
        self.advance_to(super().now() + timedelta(seconds=1))
        return super().now()


def test_run_delivers_in_clock_time_until_stopped() -> None:
    start = datetime(2024, 3, 4, 14, 30, tzinfo=UTC)  # 09:30 ET
    clock = _RushingClock(start)
    m = SyntheticMarket(SyntheticConfig(seed=2), clock)
    got: list[Tick] = []
    stop = asyncio.Event()

    def handler(ev: object) -> None:
        assert isinstance(ev, Tick)
        got.append(ev)
        if len(got) == 50:
            stop.set()

    asyncio.run(m.run(handler, stop))
    assert len(got) == 50
    assert all(t.received is not None and t.received >= t.ts for t in got)
    assert m.health().events >= 50


def _minute_returns(cfg: SyntheticConfig) -> tuple[np.ndarray, np.ndarray]:
    """1-minute log returns of the first instrument over the week (consecutive minutes only), and its log
    closes."""
    (a, _), _ = _closes(SyntheticMarket(cfg))
    t = np.array(sorted(a))
    lp = np.log([a[x] for x in t])
    return np.diff(lp)[np.diff(t) == 60_000_000], lp


def test_measured_volatility_and_drift_follow_the_configuration() -> None:
    inst = [SyntheticInstrument(symbol="AAA", start_price=100.0, annual_vol=0.30, drift=40.0),
            SyntheticInstrument(symbol="BBB", start_price=50.0)]
    cfg = SyntheticConfig(instruments=inst, correlation=[[1, 0], [0, 1]], jump_prob=0.0, seasonality=False,
                          seed=11)
    r, lp = _minute_returns(cfg)
    annual = float(np.std(r) * np.sqrt(252 * 390))
    assert abs(annual - 0.30) <= 0.03, annual
    # drift 40/year over 5 of 252 days: log return (40 - 0.3²/2) × 5/252 ≈ 0.79 (noise ≈ 0.04)
    assert abs((lp[-1] - lp[0]) - (40 - 0.045) * 5 / 252) <= 0.12


def test_volatility_seasonality_makes_the_open_more_volatile_than_midday() -> None:
    def ratio(seasonality: bool) -> float:
        cfg = SyntheticConfig(jump_prob=0.0, seasonality=seasonality, seed=12)
        (a, _), _ = _closes(SyntheticMarket(cfg))
        t = np.array(sorted(a))
        r = np.diff(np.log([a[x] for x in t]))
        et = [datetime.fromtimestamp(x / 1e6, UTC).astimezone(CAL_ET) for x in t[1:]]
        hm = np.array([d.hour * 60 + d.minute for d in et])
        ok = np.diff(t) == 60_000_000
        opening = r[ok & (hm >= 9 * 60 + 31) & (hm < 10 * 60)]
        midday = r[ok & (hm >= 12 * 60) & (hm < 13 * 60)]
        return float(np.std(opening) / np.std(midday))

    assert ratio(True) > 1.6  # the model's U shape: 2.5 × at the edges of the day
    assert 0.7 < ratio(False) < 1.4


def test_fast_forward_gives_the_prints_a_full_run_gives_from_the_next_session_on() -> None:
    cfg = SyntheticConfig(seed=5)
    start, until, end = WEEK[0] + timedelta(hours=14, minutes=30), WEEK[0] + timedelta(days=2), WEEK[1]
    full = [(t.symbol, t.ts, t.price, t.size) for t in SyntheticMarket(cfg).events_between(start, end)]
    skipped = SyntheticMarket(cfg)
    resume = skipped.fast_forward(start, until)
    assert resume == datetime(2024, 3, 6, 14, 30, tzinfo=UTC)  # Wednesday's open: Mon and Tue are computed
    rest = [(t.symbol, t.ts, t.price, t.size) for t in skipped.events_between(resume, end)]
    assert len(rest) > 1000
    assert rest == [row for row in full if row[1] >= resume]
    with pytest.raises(ValueError, match="produced nothing yet"):
        skipped.fast_forward(start, until)
    assert SyntheticMarket(cfg).fast_forward(start, start) == start  # nothing ends by then: nothing skipped
