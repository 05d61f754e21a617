"""Polygon feed → quality gate → recorder: a print re-sent after a reconnect is stored once, as polygon's."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from tests.fakes.polygon import payloads as pl
from tests.integration.polygon.rig import T0, rig
from theo.core.bus import InMemoryBus
from theo.core.calendar import get_calendar
from theo.core.clock import SimulatedClock
from theo.data.config import MarketDataConfig
from theo.data.feeds.base import MarketEvent, event_time
from theo.data.pipeline import MarketDataPipeline
from theo.persistence.models.core import TickRow
from theo.persistence.repositories.market_data import MarketDataRepository


@pytest.mark.parametrize("store", ["sqlite_engine", "pg_engine"])
def test_a_reconnect_with_a_resent_print_stores_every_tick_once(store: str, request: pytest.FixtureRequest) -> None:
    engine: Engine = request.getfixturevalue(store)
    cal = get_calendar()
    clock = SimulatedClock(T0)
    pipe = MarketDataPipeline(MarketDataConfig(), clock, InMemoryBus(raise_errors=True), lambda _s: cal,
                              MarketDataRepository(engine))

    def handle(event: MarketEvent) -> None:
        if event_time(event) > clock.now():
            clock.advance_to(event_time(event))
        pipe.on_event(event)

    def at(ms: int) -> object:
        return T0 + timedelta(milliseconds=ms)

    async def go() -> None:
        async with rig(("SPY",), handler=handle, channels=["T"]) as r:
            await r.subscribed("T.SPY")
            await r.fake.push([pl.trade("SPY", at(100), 510.00, 100, seq=1),  # type: ignore[arg-type]
                               pl.trade("SPY", at(100), 510.00, 100, seq=2),  # type: ignore[arg-type]
                               pl.trade("SPY", at(350), 510.02, 40, seq=3, conditions=[37])])  # type: ignore[arg-type]
            await r.until(lambda: len(r.events) == 3, "three prints")
            await r.fake.drop(1011)
            await r.subscribed("T.SPY", sessions=2)
            await r.fake.push([pl.trade("SPY", at(350), 510.02, 40, seq=3, conditions=[37]),  # type: ignore[arg-type]
                               pl.trade("SPY", at(900), 510.05, 200, seq=4, exchange=11)])  # type: ignore[arg-type]
            await r.until(lambda: len(r.events) == 5, "the re-sent print and a new one")

    asyncio.run(go())
    pipe.stop()
    with engine.connect() as conn:
        got = [tuple(row) for row in conn.execute(
            select(TickRow.ts, TickRow.price, TickRow.size, TickRow.exchange, TickRow.condition, TickRow.source)
            .where(TickRow.symbol == "SPY").order_by(TickRow.ts, TickRow.seq))]
    assert got == [(T0 + timedelta(milliseconds=100), 510.0, 100.0, "NASDAQ", "", "polygon"),
                   (T0 + timedelta(milliseconds=100), 510.0, 100.0, "NASDAQ", "", "polygon"),  # two real prints
                   (T0 + timedelta(milliseconds=350), 510.02, 40.0, "NASDAQ", "p37", "polygon"),
                   (T0 + timedelta(milliseconds=900), 510.05, 200.0, "ARCA", "", "polygon")]
    assert [x.reason for x in pipe.rejected] == ["duplicate"]
