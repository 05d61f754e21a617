"""The api service streams what the other services publish on NATS, in the embedded dashboard's event shapes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.integration.services.conftest import NATS_URL
from theo.core.bus.nats import NatsBus
from theo.model.enums import OrderStatus, OrderType, Side
from theo.model.events import Execution
from theo.model.market import Bar, Tick
from theo.model.orders import Order, OrderRequest
from theo.node.services.web import BusEvents
from theo.risk.state import State, StateChange

pytestmark = pytest.mark.nats
T0 = datetime(2026, 1, 6, 14, 30, tzinfo=UTC)


class Recorded:
    """What the event hub is handed (the hub itself fans out to WebSocket clients)."""

    def __init__(self, expect: int) -> None:
        self.events: list[tuple[str, Any]] = []
        self.expect = expect
        self.done = threading.Event()

    def publish(self, kind: str, data: dict[str, Any]) -> None:
        self._add(kind, data)

    def tick(self, symbol: str, price: Any, size: Any) -> None:
        self._add("tick", (symbol, price, size))

    def _add(self, kind: str, data: Any) -> None:
        self.events.append((kind, data))
        if len(self.events) >= self.expect:
            self.done.set()


def test_bus_messages_become_dashboard_events(nats_prefix: str) -> None:
    sink = Recorded(expect=6)
    api = NatsBus(NATS_URL, prefix=nats_prefix).start()
    trader = NatsBus(NATS_URL, prefix=nats_prefix).start()
    try:
        events = BusEvents(sink)  # type: ignore[arg-type]
        for pattern in ("ticks.*", "bars.>", "orders.>", "risk.state", "alerts"):
            api.subscribe(pattern, events.on_message)
        order = Order("z-1-entry", OrderRequest("SPY", Side.BUY, Decimal(100), OrderType.MARKET),
                      status=OrderStatus.FILLED, filled_qty=Decimal(100), avg_fill_price=Decimal("470.01"))
        order.fills.append(Execution("SIM-1", "z-1-entry", "SPY", Side.BUY, Decimal(100), Decimal("470.01"), T0))
        trader.publish("ticks.SPY", Tick("SPY", T0, 470.0, 200.0))
        trader.publish("bars.5m.SPY", Bar("SPY", "5m", T0, T0 + timedelta(minutes=5), 1.0, 2.0, 0.5, 1.5, 10.0))
        trader.publish("orders.filled", order)
        trader.publish("risk.state", StateChange(T0, State.HALTED, State.ACTIVE, "too many losses", "risk"))
        trader.publish("alerts", {"level": "critical", "text": "reconciliation failed"})
        trader.flush(10)
        assert sink.done.wait(15), sink.events
        got = {k: d for k, d in sink.events}
        assert got["tick"] == ("SPY", 470.0, 200.0)
        assert got["bar"]["timeframe"] == "5m"
        assert got["bar"]["close"] == "1.5"
        assert got["order"] == {"id": "z-1-entry", "symbol": "SPY", "side": "BUY", "type": "MARKET",
                                "status": "FILLED", "quantity": "100", "filled": "100", "price": "470.01"}
        assert got["fill"] == {"order_id": "z-1-entry", "symbol": "SPY", "side": "BUY", "quantity": "100",
                               "price": "470.01", "ts": T0.isoformat()}
        assert got["state"] == {"state": "HALTED", "reason": "too many losses", "actor": "risk"}
        assert got["alert"] == {"level": "critical", "text": "reconciliation failed"}
        assert events.received == 5
    finally:
        trader.close()
        api.close()
