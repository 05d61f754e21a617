"""The recorder stores gated ticks, closed bars, quarantined ticks and feed events."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, func, select

from tests.unit.data.bars.helpers import et
from theo.adapters.sim.synthetic import SyntheticMarket
from theo.core.bus import InMemoryBus
from theo.core.calendar import get_calendar
from theo.core.clock import SimulatedClock
from theo.data.bars.aggregator import BarAggregator
from theo.data.config import GateConfig
from theo.data.gate import QualityGate
from theo.data.recorder import Recorder
from theo.model.market import Tick
from theo.persistence.models.core import BarRow, QuarantineRow, TickRow
from theo.persistence.models.marketdata import FeedEventRow
from theo.persistence.repositories.market_data import MarketDataRepository


def _count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_pipeline_from_synthetic_feed_to_the_store(sqlite_engine: Engine) -> None:
    cal = get_calendar()
    start = et(2024, 3, 4, 9, 30)
    clock = SimulatedClock(start)
    bus = InMemoryBus(raise_errors=True)
    rec = Recorder(MarketDataRepository(sqlite_engine), batch=500)
    rec.attach(bus)
    gate = QualityGate(GateConfig(stale_after_seconds=20), clock, lambda _s: cal, bus, rec.on_quarantine)
    agg = BarAggregator(["1m", "5m"], lambda _s: cal, bus, clock, timedelta(seconds=1),
                        on_quarantine=rec.on_quarantine)
    market = SyntheticMarket(clock=clock)
    n = 0
    for tick in market.events_between(start, start + timedelta(minutes=10)):
        clock.advance_to(tick.ts)
        ok = gate.check(tick)
        if ok is not None:
            rec.on_tick(ok)
            agg.on_tick(ok)
            n += 1
    assert gate.check(Tick("SPY", start - timedelta(hours=12), 1.0, 1.0, "synthetic")) is None
    clock.advance_to(start + timedelta(minutes=11))
    gate.on_time(clock.now())  # no tick for a minute while open: stale
    rec.flush()
    assert _count(sqlite_engine, TickRow) == n > 1000
    bars = _count(sqlite_engine, BarRow)
    assert bars == 2 * 10 + 2 * 2  # 10 one-minute and 2 five-minute bars per symbol
    assert _count(sqlite_engine, QuarantineRow) == 1  # the tick stamped 12 hours ago
    assert _count(sqlite_engine, FeedEventRow) == 2  # SPY and QQQ stale
    with sqlite_engine.connect() as conn:
        reason = conn.execute(select(QuarantineRow.reason)).scalar_one()
        kinds = set(conn.execute(select(FeedEventRow.kind)).scalars())
    assert reason == "clock_skew"
    assert kinds == {"stale"}


def test_batches_never_split_a_timestamp_group_even_with_late_ticks(sqlite_engine: Engine) -> None:
    rec = Recorder(MarketDataRepository(sqlite_engine), batch=3, hold=timedelta(seconds=2))
    t0 = et(2013, 10, 7, 10, 0)
    stamps = [0, 0, 1, 1, 3, 3, 0.5, 1, 6, 6, 9, 4.5]  # seconds; some arrive out of order within 2 s
    for s in stamps:
        rec.on_tick(Tick("SPY", t0 + timedelta(seconds=s), 100.0, 1.0, "feed"))
    rec.flush()
    assert rec.written["ticks"] == len(stamps)
    assert _count(sqlite_engine, TickRow) == len(stamps)
