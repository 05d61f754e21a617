"""A connected market-data service against the fake TWS, for the ``test_data_*`` tests (real ib_async client)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tests.fakes.tws import FakeTws
from theo.adapters.ibkr.config import IbkrConfig
from theo.adapters.ibkr.connection import IbkrSession
from theo.adapters.ibkr.data import IbkrMarketData
from theo.data.corporate_actions import CorporateActionStore
from theo.data.latency import LatencyMonitor
from theo.model.market import Bar, Quote, Tick


@dataclass
class Rig:
    fake: FakeTws
    session: IbkrSession
    md: IbkrMarketData
    latency: LatencyMonitor
    events: list[Tick | Quote | Bar] = field(default_factory=list)

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    async def until(self, check: Callable[[], bool], timeout: float = 3.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not check():
            if loop.time() > deadline:
                raise AssertionError(f"timed out; events: {self.events}")
            await asyncio.sleep(0.01)


def config(port: int, **overrides: Any) -> IbkrConfig:
    values: dict[str, Any] = {"port": port, "client_id": 7, "connect_timeout_seconds": 3.0,
                              "request_timeout_seconds": 3.0, "reconnect_initial_seconds": 0.05,
                              "reconnect_max_seconds": 0.2, "probe_seconds": 0.5, "daily_restart": None}
    values.update(overrides)
    return IbkrConfig(**values)


@asynccontextmanager
async def rig(setup: Callable[[FakeTws], None] | None = None, *, now: Callable[[], datetime] | None = None,
              corporate_actions: CorporateActionStore | None = None, **overrides: Any) -> AsyncIterator[Rig]:
    fake = FakeTws(accounts=("DU1234567",))
    await fake.start()
    if setup is not None:
        setup(fake)
    cfg = config(fake.port, **overrides)
    session = IbkrSession(cfg)
    latency = LatencyMonitor()
    events: list[Tick | Quote | Bar] = []

    def handle(event: Tick | Quote | Bar) -> None:  # as the engine's pipeline does: latency from each tick's times
        if isinstance(event, Tick) and event.received is not None:
            latency.record(event.source, event.symbol, event.ts, event.received)
        events.append(event)

    md = IbkrMarketData(session, cfg, handler=handle, corporate_actions=corporate_actions,
                        **({"now": now} if now is not None else {}))
    await session.connect(attempts=3)
    try:
        yield Rig(fake, session, md, latency, events)
    finally:
        await session.close()
        await fake.stop()
