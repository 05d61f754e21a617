"""The database unreachable during collection (a cut TCP proxy): no tick lost, none stored twice."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.integration.collector.conftest import collector_config, proxied_url, stored_prints, write_ticks
from tests.integration.collector.tcp_proxy import TcpProxy
from theo.adapters.sim.replay import ReplayFeed
from theo.core.bus.memory import InMemoryBus
from theo.core.clock import SimulatedClock
from theo.core.time import from_us
from theo.node.services.collect_summary import CollectSummary
from theo.node.services.collector import Collector
from theo.persistence.db import make_engine


async def _collect_through_outage(pg_engine: Engine, proxy: TcpProxy, tmp_path: Path, *, ticks: int,
                                  outage: float, speed: float) -> tuple[CollectSummary, float]:
    prints = write_ticks(tmp_path / "SPY_ticks.csv", ticks)
    engine = make_engine(proxied_url(pg_engine, proxy))
    bus = InMemoryBus()
    published: list[str] = []
    bus.subscribe("ticks.SPY", lambda t, _m: published.append(t))
    collector = Collector(collector_config(tmp_path / "var"), engine, ReplayFeed([(tmp_path / "SPY_ticks.csv", "SPY")],
                          speed=speed), bus, clock=SimulatedClock(from_us(0)))
    stop = asyncio.Event()
    task = asyncio.ensure_future(collector.run(stop))
    while not stored_prints(pg_engine):  # the database takes writes before the outage
        await asyncio.sleep(0.05)
    proxy.cut()
    loop = asyncio.get_running_loop()
    cut_at = loop.time()
    while collector.durable is None or not collector.durable.spooling:
        await asyncio.sleep(0.05)
    await asyncio.sleep(outage - (loop.time() - cut_at))
    proxy.restore()
    summary = await asyncio.wait_for(task, timeout=outage + ticks / 4 / speed + 30)
    engine.dispose()
    assert stored_prints(pg_engine) == prints  # every print once: nothing lost, nothing twice
    assert len(published) == ticks
    return summary, loop.time() - cut_at


def _check(summary: CollectSummary, ticks: int) -> None:
    spy = summary.symbols["SPY"]
    assert (spy.received, spy.accepted, dict(spy.rejected)) == (ticks, ticks, {})
    assert spy.stored == ticks  # new rows: directly, or replayed from the spool
    assert spy.known == 0
    assert spy.spooled > 0
    assert spy.replayed == spy.spooled
    assert summary.outages == 1
    assert not summary.spool_pending
    assert summary.stop_reason == "the feed ended"
    assert spy.first is not None
    assert spy.last is not None
    assert (spy.last - spy.first).total_seconds() == pytest.approx((ticks - 1) * 0.25)


def test_a_three_second_outage_loses_no_tick_and_stores_none_twice(pg_engine: Engine, proxy: TcpProxy,
                                                                   tmp_path: Path) -> None:
    summary, _ = asyncio.run(_collect_through_outage(pg_engine, proxy, tmp_path, ticks=2400, outage=3.0, speed=100))
    _check(summary, 2400)


@pytest.mark.slow
def test_a_thirty_second_outage_loses_no_tick_and_stores_none_twice(pg_engine: Engine, proxy: TcpProxy,
                                                                    tmp_path: Path) -> None:
    summary, elapsed = asyncio.run(_collect_through_outage(pg_engine, proxy, tmp_path, ticks=6000, outage=30.0,
                                                           speed=40))
    assert elapsed >= 30
    _check(summary, 6000)
