"""The wired pipeline: synthetic feed → gate → bus → bars → store, driven by a simulated clock."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, func, select

from tests.unit.data.bars.helpers import et
from theo.adapters.sim.synthetic import SyntheticMarket
from theo.core.bus import InMemoryBus
from theo.core.calendar import get_calendar
from theo.core.clock import SimulatedClock
from theo.data.config import MarketDataConfig
from theo.data.pipeline import MarketDataPipeline
from theo.model.market import Bar, Tick
from theo.persistence.models.core import BarRow, QuarantineRow, TickRow
from theo.persistence.repositories.market_data import MarketDataRepository


def test_synthetic_market_through_the_pipeline_into_the_store(sqlite_engine: Engine) -> None:
    cal = get_calendar()
    start = et(2024, 3, 4, 9, 30)
    clock = SimulatedClock(start)
    bus = InMemoryBus(raise_errors=True)
    ticks: list[Tick] = []
    bars: list[Bar] = []
    bus.subscribe("ticks.*", lambda _t, m: ticks.append(m))
    bus.subscribe("bars.5m.*", lambda _t, m: bars.append(m))
    pipe = MarketDataPipeline(MarketDataConfig(), clock, bus, lambda _s: cal, MarketDataRepository(sqlite_engine))
    pipe.start()
    market = SyntheticMarket(clock=clock)
    for tick in market.events_between(start, start + timedelta(minutes=15)):
        clock.advance_to(tick.ts)
        pipe.on_event(tick)
    pipe.on_event(Tick("SPY", start + timedelta(minutes=15), -1.0, 10.0, "synthetic"))
    clock.advance_to(start + timedelta(minutes=15, seconds=5))  # the clock closes the last bars
    assert [b.start for b in bars if b.symbol == "SPY"] == [start + timedelta(minutes=m) for m in (0, 5, 10)]
    pipe.stop()
    with sqlite_engine.connect() as conn:
        stored_ticks = conn.execute(select(func.count()).select_from(TickRow)).scalar_one()
        stored_bars = conn.execute(select(func.count()).select_from(BarRow)).scalar_one()
        reasons = list(conn.execute(select(QuarantineRow.reason)).scalars())
    assert stored_ticks == len(ticks) > 1000
    assert stored_bars == 2 * (15 + 3 + 1 + 1 + 1)  # 1m, 5m, 15m, 30m (09:30-10:00 open), 60m per symbol
    assert reasons == ["bad_price"]
    snap = pipe.latency.snapshot()
    assert set(snap) == {("synthetic", "SPY"), ("synthetic", "QQQ")}
    assert all(0 < s.p50 < 5 for s in snap.values())  # the synthetic feed stamps 0.15-5 ms arrival delays
