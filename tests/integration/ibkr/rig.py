"""A Theo order service on the IBKR adapter, connected by the real ib_async client to the fake TWS."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tests.fakes.tws import FakeTws
from theo.adapters.ibkr.config import IbkrConfig
from theo.adapters.ibkr.connection import IbkrSession
from theo.adapters.ibkr.execution import IbkrBroker
from theo.core.bus.memory import InMemoryBus
from theo.core.clock import LiveClock
from theo.execution.config import ExecutionConfig
from theo.execution.journal import MemoryJournal
from theo.execution.service import OrderService
from theo.model.enums import OrderStatus, OrderType, Side
from theo.model.instruments import equity
from theo.model.orders import Order, OrderRequest

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
SYMBOLS = ("AAPL", "SPY")


def ib_config(port: int, **overrides: Any) -> IbkrConfig:
    base: dict[str, Any] = {"port": port, "connect_timeout_seconds": 2.0, "request_timeout_seconds": 3.0,
                            "reconnect_initial_seconds": 0.05, "reconnect_max_seconds": 0.2, "probe_seconds": 0.2,
                            "down_alert_seconds": 0.5, "daily_restart": None, "commission_wait_seconds": 0.5}
    return IbkrConfig(**{**base, **overrides})


@dataclass
class Rig:
    fake: FakeTws
    session: IbkrSession
    broker: IbkrBroker
    service: OrderService
    journal: MemoryJournal
    alerts: list[tuple[str, str]] = field(default_factory=list)
    supervisor: asyncio.Task[None] | None = None

    def order(self, side: Side = Side.BUY, qty: int = 100, order_type: OrderType = OrderType.MARKET,
              symbol: str = "AAPL", **kw: Any) -> Order:
        return self.service.create_order(OrderRequest(symbol, side, Decimal(qty), order_type, strategy="t", **kw))

    def at_fake(self, cid: str) -> list[Any]:
        """The fake's orders carrying ``cid`` in orderRef."""
        return [o for o in self.fake.all_orders if o.order_ref == cid]

    async def until(self, check: Callable[[], bool], timeout: float = 5.0, what: str = "") -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not check():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for {what or check}")
            await asyncio.sleep(0.02)

    async def status(self, order: Order, status: OrderStatus, timeout: float = 5.0) -> None:
        await self.until(lambda: order.status is status, timeout,
                         f"{order.client_order_id} to be {status.value} (is {order.status.value}: {order.reason})")


@asynccontextmanager
async def rig(fake: FakeTws | None = None, *, supervise: bool = True, **cfg: Any) -> AsyncIterator[Rig]:
    fake = fake or FakeTws()
    if not fake.port:
        await fake.start()
    alerts: list[tuple[str, str]] = []
    session = IbkrSession(ib_config(fake.port, **cfg), on_alert=lambda level, text: alerts.append((level, text)))
    clock = LiveClock()
    broker = IbkrBroker(session, ExecutionConfig(), clock, {s: equity(s) for s in SYMBOLS})
    journal = MemoryJournal()
    service = OrderService(broker, journal, clock, {s: equity(s) for s in SYMBOLS}, InMemoryBus())
    await session.connect(attempts=20)
    service.start()
    r = Rig(fake, session, broker, service, journal, alerts)
    if supervise:
        r.supervisor = asyncio.ensure_future(session.run())
    try:
        yield r
    finally:
        if r.supervisor is not None:
            r.supervisor.cancel()
        await session.close()
        await fake.stop()
