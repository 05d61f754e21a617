"""The collector on IBKR (the real ib_async client against the fake TWS): a live account may be recorded (the
session is look-only), prints are stored as ibkr's."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, text

from tests.fakes.tws import FakeTws
from tests.integration.collector.conftest import collector_config
from theo.config import TheoConfig
from theo.core.bus.memory import InMemoryBus
from theo.core.clock import SimulatedClock
from theo.node.services.collect_feeds import build_feed
from theo.node.services.collector import Collector

T0 = datetime(2026, 12, 3, 15, 0, 1, tzinfo=UTC)  # 10:00:01 New York


def test_ibkr_prints_are_collected_from_a_live_account_without_trading(sqlite_engine: Engine,
                                                                       tmp_path: Path) -> None:
    async def go() -> object:
        fake = FakeTws(accounts=("U7654321",))  # a live (real-money) account: fine for data, nothing is traded
        await fake.start()
        try:
            base = collector_config(tmp_path / "var").model_dump(mode="json")
            cfg = TheoConfig.model_validate(base | {"execution": {"ibkr": {
                "port": fake.port, "client_id": 9, "connect_timeout_seconds": 3.0, "request_timeout_seconds": 3.0,
                "reconnect_initial_seconds": 0.05, "reconnect_max_seconds": 0.2, "daily_restart": "none"}}})
            built = build_feed(cfg, "ibkr", symbols=["AAPL"])
            collector = Collector(cfg, sqlite_engine, built.feed, InMemoryBus(), clock=SimulatedClock(T0),
                                  symbols=["AAPL"])
            stop = asyncio.Event()
            task = asyncio.ensure_future(collector.run(stop))
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10
            while not fake.subscriptions("tbt"):
                assert loop.time() < deadline, "no tick-by-tick subscription reached the fake TWS"
                await asyncio.sleep(0.02)
            for k in range(3):
                fake.push_trade("AAPL", 190.25 + k / 100, 100 * (k + 1), ts=T0 + timedelta(seconds=k))
            while collector.summary.symbol("AAPL").received < 3:
                assert loop.time() < deadline, "the prints did not arrive"
                await asyncio.sleep(0.02)
            stop.set()
            return await task
        finally:
            await fake.stop()

    summary = asyncio.run(go())
    aapl = summary.symbols["AAPL"]  # type: ignore[attr-defined]
    assert (aapl.received, aapl.accepted, aapl.stored, dict(aapl.sources)) == (3, 3, 3, {"ibkr": 3})
    with sqlite_engine.connect() as conn:
        rows = conn.execute(text("SELECT price, size, source FROM ticks WHERE symbol = 'AAPL' ORDER BY ts")).all()
    assert [tuple(r) for r in rows] == [(190.25, 100.0, "ibkr"), (190.26, 200.0, "ibkr"), (190.27, 300.0, "ibkr")]
