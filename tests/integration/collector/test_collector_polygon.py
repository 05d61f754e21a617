"""The collector on the Polygon feed (the real massive client against the fake server): prints stored once, as
polygon's, and a print re-sent after the server drops the session is counted as a duplicate."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from tests.fakes.polygon import payloads as pl
from tests.fakes.polygon.server import FakePolygon
from tests.integration.collector.conftest import collector_config
from tests.integration.polygon.rig import KEY, KEY_ENV, T0, config
from theo.adapters.polygon.data import PolygonFeed
from theo.core.bus.memory import InMemoryBus
from theo.core.clock import SimulatedClock
from theo.node.services.collector import Collector


def test_polygon_prints_are_collected_once_with_their_source(sqlite_engine: Engine, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")

    async def go() -> object:
        async with FakePolygon(keys={KEY}) as fake:
            feed = PolygonFeed(config(fake, channels=["T"]))
            collector = Collector(collector_config(tmp_path / "var"), sqlite_engine, feed, InMemoryBus(),
                                  clock=SimulatedClock(T0), symbols=["SPY"])
            stop = asyncio.Event()
            task = asyncio.ensure_future(collector.run(stop))
            await fake.until(lambda: "T.SPY" in fake.subscriptions, 5.0, "T.SPY subscribed")
            await fake.push([pl.trade("SPY", T0 + timedelta(milliseconds=100 * k), 510 + k / 100, 100, seq=k)
                             for k in range(1, 6)])
            await fake.until(lambda: collector.summary.symbol("SPY").received == 5, 5.0, "five prints")
            await fake.drop(1011)
            await fake.until(lambda: fake.connects >= 2 and "T.SPY" in fake.subscriptions, 5.0, "a new session")
            await fake.push([pl.trade("SPY", T0 + timedelta(milliseconds=500), 510.05, 100, seq=5),  # re-sent
                             pl.trade("SPY", T0 + timedelta(seconds=3), 510.5, 300, seq=6)])
            await fake.until(lambda: collector.summary.symbol("SPY").received == 7, 5.0, "two more prints")
            stop.set()
            return await task

    summary = asyncio.run(go())
    spy = summary.symbols["SPY"]  # type: ignore[attr-defined]
    assert (spy.received, spy.accepted, dict(spy.rejected), spy.stored) == (7, 6, {"duplicate": 1}, 6)
    assert dict(spy.sources) == {"polygon": 7}
    with sqlite_engine.connect() as conn:
        rows = conn.execute(text("SELECT price, source FROM ticks WHERE symbol = 'SPY' ORDER BY ts, seq")).all()
    assert [(p, s) for p, s in rows] == [(510.01, "polygon"), (510.02, "polygon"), (510.03, "polygon"),
                                         (510.04, "polygon"), (510.05, "polygon"), (510.5, "polygon")]
