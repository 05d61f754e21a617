"""The live event stream: the hub's throttle and bounded queues, the WebSocket route, the engine bridge."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from theo.api.bridge import EngineBridge
from theo.api.events import QUEUE_LIMIT, EventHub
from theo.core.bus.memory import InMemoryBus
from theo.model.enums import OrderStatus, OrderType, Side
from theo.model.events import Execution
from theo.model.orders import Order, OrderRequest
from theo.node.records import SignalLog
from theo.risk.state import State, StateChange

D = Decimal
T = datetime(2026, 12, 4, 15, 30, tzinfo=UTC)


@pytest.fixture
def api_events() -> EventHub:  # the app's sink is the real hub in this module
    return EventHub()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_ticks_are_throttled_per_symbol_and_the_latest_one_arrives() -> None:
    clock = Clock()
    hub = EventHub(clock=clock)

    async def go() -> list[dict[str, Any]]:
        sub = hub.subscribe()
        for i in range(10):
            hub.tick("SPY", 100.0 + i, 1.0)
        hub.tick("QQQ", 400.0, 2.0)
        clock.now = 1.0
        await asyncio.sleep(0.3)  # the pending SPY tick is flushed after its 250 ms slot
        got = []
        while (m := await sub.next(0.05)) is not None:
            got.append(json.loads(m))
        return got

    got = asyncio.run(go())
    assert [(m["data"]["symbol"], m["data"]["price"]) for m in got] == [("SPY", "100.0"), ("QQQ", "400.0"),
                                                                       ("SPY", "109.0")]
    assert hub.throttled == 9


def test_a_slow_client_loses_old_ticks_but_never_orders() -> None:
    hub = EventHub(ticks_per_second=1e9)

    async def go() -> tuple[list[str], int]:
        sub = hub.subscribe()
        for i in range(QUEUE_LIMIT + 500):
            hub.tick(f"S{i}", 1.0, 1.0)
            if i % 100 == 0:
                hub.publish("order", {"id": f"o{i}"})
        kinds = []
        while (m := await sub.next(0.01)) is not None:
            kinds.append(json.loads(m)["kind"])
        return kinds, sub.dropped

    kinds, dropped = asyncio.run(go())
    assert kinds.count("order") == 15  # every order arrives
    assert len(kinds) == QUEUE_LIMIT
    assert dropped == hub.dropped == 515  # 1500 ticks + 15 orders into 1000 places
    assert hub.published == QUEUE_LIMIT + 500 + 15


def test_the_websocket_delivers_published_events_in_the_contract_shape(
        make_client: Callable[..., TestClient], api_events: EventHub) -> None:
    client = make_client("viewer")
    with client.websocket_connect("/api/v1/events") as ws:
        api_events.publish("alert", {"level": "warning", "text": "feed slow", "at": T, "price": D("1.50")})
        message = ws.receive_json()
    assert message["kind"] == "alert"
    assert message["data"] == {"level": "warning", "text": "feed slow", "at": "2026-12-04T15:30:00Z",
                               "price": "1.50"}
    assert datetime.fromisoformat(message["ts"]).tzinfo is not None
    assert api_events.clients == 0  # unsubscribed on close


def test_a_script_connects_with_the_token_in_the_query(make_client: Callable[..., TestClient],
                                                       api_events: EventHub, anon_client: TestClient) -> None:
    token = make_client("viewer").token
    with anon_client.websocket_connect(f"/api/v1/events?token={token}") as ws:
        api_events.publish("state", {"state": "HALTED", "reason": "x", "actor": "api:a"})
        assert ws.receive_json()["data"]["state"] == "HALTED"
    with pytest.raises(Exception), anon_client.websocket_connect("/api/v1/events?token=wrong") as ws:  # noqa: B017, PT011
        ws.receive_json()


def test_a_cookie_from_another_site_cannot_open_the_stream(make_client: Callable[..., TestClient]) -> None:
    client = make_client("viewer")
    with pytest.raises(Exception), client.websocket_connect(  # noqa: B017, PT011
            "/api/v1/events", headers={"origin": "https://evil.example"}) as ws:
        ws.receive_json()


def _fake_run() -> Any:
    node = SimpleNamespace(bus=InMemoryBus(), signals=SignalLog(), manager=SimpleNamespace(trades=lambda **_: []))
    return SimpleNamespace(node=node, feed_name="synthetic",
                           counters=lambda: {"last_price": {"SPY": 101.25}, "realized_pnl": "12.50",
                                             "sim_now": T.isoformat()})


def test_the_bridge_turns_bus_messages_into_stream_events(make_client: Callable[..., TestClient],
                                                          api_events: EventHub) -> None:
    run = _fake_run()
    bridge = EngineBridge(api_events, run)
    bridge.attach()
    order = Order("c-1", OrderRequest("SPY", Side.BUY, D(10), OrderType.LIMIT, limit_price=D("101.00")),
                  status=OrderStatus.FILLED, filled_qty=D(10), avg_fill_price=D("100.99"))
    order.fills.append(Execution("x-1", "c-1", "SPY", Side.BUY, D(10), D("100.99"), T))
    with make_client("viewer").websocket_connect("/api/v1/events") as ws:
        run.node.bus.publish("orders.filled", order)
        run.node.bus.publish("risk.state", StateChange(T, State.HALTED, State.ACTIVE, "drawdown", "engine"))
        bridge.on_status(run)
        got = [ws.receive_json() for _ in range(5)]
    assert [m["kind"] for m in got] == ["order", "fill", "state", "pnl", "health"]
    assert got[0]["data"] == {"id": "c-1", "symbol": "SPY", "side": "BUY", "type": "LIMIT", "status": "FILLED",
                              "quantity": "10", "filled": "10", "price": "100.99"}
    assert got[1]["data"] == {"order_id": "c-1", "symbol": "SPY", "side": "BUY", "quantity": "10",
                              "price": "100.99", "ts": "2026-12-04T15:30:00+00:00"}
    assert got[2]["data"] == {"state": "HALTED", "reason": "drawdown", "actor": "engine"}
    assert got[3]["data"] == {"realized": "12.50", "unrealized": "0.00", "total": "12.50"}
    assert got[4]["data"]["feed"]["status"] == "ok"
    assert bridge.snapshot.counters()["last_price"] == {"SPY": 101.25}
    bridge.detach()
    assert not run.node.bus.has_subscribers("orders.filled")


def test_theo_api_publishes_what_the_store_shows_when_it_changes(api_ctx: Any) -> None:
    from tests.integration.api.conftest import RecordingSink
    from tests.integration.api.seed import running, trade
    from theo.api.poller import StorePoller

    sink = RecordingSink()
    now = datetime.now(UTC)
    trade(api_ctx.store, "SPY", Side.BUY, "10", "100", now)
    running(api_ctx.store, now, {"last_price": {"SPY": 102.5}, "realized_pnl": "7.00", "sim_now": now.isoformat()})
    poller = StorePoller(api_ctx, sink)
    poller.poll()
    assert sink.kinds() == ["state", "pnl", "health"]
    assert sink.published[1][1] == {"realized": "7.00", "unrealized": "25.00", "total": "32.00"}
    poller.poll()
    assert len(sink.published) == 3  # nothing changed, nothing published
    api_ctx.repos.trading_state.append(StateChange(now, State.HALTED, State.ACTIVE, "from the cli", "cli:ann"))
    poller.poll()
    assert sink.published[-1] == ("state", {"state": "HALTED", "reason": "from the cli", "actor": "cli:ann"})
