"""The Polygon feed served against the fake server, for the tests of this folder."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tests.fakes.polygon.server import FakePolygon
from theo.adapters.polygon.config import PolygonConfig
from theo.adapters.polygon.data import PolygonFeed
from theo.data.feeds.base import EventHandler, MarketEvent

KEY_ENV = "THEO_TEST_POLYGON_KEY"
KEY = "pk-test-4f1c9a"  # what the fake accepts; tests check it never shows in messages
T0 = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)  # 10:00 ET on a Monday

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")  # websockets >= 15 and urllib3 honour proxy variables


def config(fake: FakePolygon, **changes: object) -> PolygonConfig:
    base: dict[str, object] = {"api_key_env": KEY_ENV, "ws_url": fake.ws_url, "rest_url": fake.rest_url,
                               "channels": ["T", "Q", "AM"], "connect_timeout_seconds": 1.0,
                               "reconnect_initial_seconds": 0.05, "reconnect_max_seconds": 0.2,
                               "rest_backoff_seconds": 0.01, "rest_retries": 3, "rest_retry_after_max_seconds": 1}
    return PolygonConfig.model_validate(base | changes)


@dataclass
class Rig:
    fake: FakePolygon
    feed: PolygonFeed
    events: list[MarketEvent] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    async def until(self, predicate: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
        await self.fake.until(predicate, timeout, what)

    async def subscribed(self, topic: str, sessions: int = 1) -> None:
        await self.until(lambda: self.fake.connects >= sessions and topic in self.fake.subscriptions
                         and self.feed.health().connected, f"{topic} subscribed on session {sessions}")


@asynccontextmanager
async def rig(symbols: tuple[str, ...] = ("AAPL",), handler: EventHandler | None = None,
              **changes: object) -> AsyncIterator[Rig]:
    """A fake server and a served feed subscribed to ``symbols`` (the key in ``THEO_TEST_POLYGON_KEY``)."""
    os.environ[KEY_ENV] = KEY
    async with FakePolygon(keys={KEY}) as fake:
        feed = PolygonFeed(config(fake, **changes))
        feed.subscribe(symbols)
        r = Rig(fake, feed)
        stop = asyncio.Event()

        def deliver(event: MarketEvent) -> None:
            r.events.append(event)
            if handler is not None:
                handler(event)

        r.task = asyncio.create_task(feed.serve(deliver, stop))
        try:
            yield r
        finally:
            stop.set()
            await asyncio.wait_for(r.task, 5)
