"""Shared pieces of the fail-over tests: IBKR on the fake TWS as the primary, Polygon on the fake Polygon server
as the secondary (both through their real clients), a config joining them, and a tape both fakes print."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from tests.fakes.polygon.payloads import rest_agg, trade
from tests.fakes.polygon.server import FakePolygon
from tests.fakes.tws import FakeTws
from tests.integration.ibkr.live import ShiftedClock, live_config
from theo.config import TheoConfig, load_config

KEY_ENV = "THEO_TEST_FAILOVER_POLYGON_KEY"
KEY = "pk-failover-5d2e"


async def until(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Wait until ``check()`` holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def both_subscribed(tws: FakeTws, polygon: FakePolygon) -> None:
    """Wait until AAPL's prints are subscribed at both feeds."""
    await until(lambda: bool(tws.subscriptions("tbt")) and "T.AAPL" in polygon.subscriptions, 8, "both subscriptions")


def serve_minutes(polygon: FakePolygon, now: datetime) -> None:
    """Polygon's REST aggregates answer every AAPL minute from two before ``now`` to seven after it (the
    backfill's source): open 101, high 102, low 100, close 101.5, volume 5000, 40 trades."""
    start = now.replace(second=0, microsecond=0)
    polygon.rest.aggs[("AAPL", 1, "minute", False)] = [
        rest_agg(start + timedelta(minutes=m), 101, 102, 100, 101.5, 5000, 40) for m in range(-2, 8)]


def failover_config(tmp: Path, tws_port: int, polygon: FakePolygon) -> TheoConfig:
    """The live config on the fake TWS with ``[feeds] secondary = "polygon"`` on the fake Polygon (stale after
    1.5 s, back after 1 s of fresh primary data)."""
    path, _ = live_config(tmp, tws_port)
    path.write_text(path.read_text(encoding="utf-8") + f"""
[feeds]
secondary = "polygon"
stale_after_seconds = 1.5
failback_after_seconds = 1.0
check_every_seconds = 0.05
[polygon]
api_key_env = "{KEY_ENV}"
ws_url = "{polygon.ws_url}"
rest_url = "{polygon.rest_url}"
channels = ["T"]
connect_timeout_seconds = 2.0
reconnect_initial_seconds = 0.05
reconnect_max_seconds = 0.2
rest_retries = 1
rest_backoff_seconds = 0.01
""", encoding="utf-8")
    return load_config(path)


class Tape:
    """Prints of AAPL with unique prices, sent by the fake TWS and/or the fake Polygon at the clock's time."""

    def __init__(self, tws: FakeTws, polygon: FakePolygon, clock: ShiftedClock) -> None:
        self.tws, self.polygon, self.clock = tws, polygon, clock
        self.prices: list[float] = []
        self.times: list[datetime] = []

    async def play(self, seconds: float, *, primary: bool, secondary: bool) -> None:
        end = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < end:
            price = round(100 + len(self.prices) * 0.01, 2)
            now = self.clock.now()
            if primary:
                self.tws.push_trade("AAPL", price, 100, ts=now)
            if secondary:
                await self.polygon.push([trade("AAPL", now, price, 100, seq=len(self.prices) + 1)])
            self.prices.append(price)
            self.times.append(now)
            await asyncio.sleep(0.05)
