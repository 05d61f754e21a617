"""The NATS JetStream bus against the real server: order, de-duplication by message id, durable consumers that
give a crashed consumer's unacknowledged messages again (first, in order), processed ones skipped."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.integration.services.conftest import NATS_URL
from theo.core.bus.nats import BusError, NatsBus
from theo.model.market import Tick

pytestmark = pytest.mark.nats
T0 = datetime(2026, 1, 6, 14, 30, tzinfo=UTC)


def _bus(prefix: str) -> NatsBus:
    return NatsBus(NATS_URL, prefix=prefix, connect_timeout=3.0).start()


def _tick(i: int, symbol: str = "SPY") -> Tick:
    return Tick(symbol, T0 + timedelta(microseconds=i), 400.0 + i / 100, 1.0, "test", trade_id=str(i))


def test_messages_arrive_decoded_in_publish_order_per_subject_and_overall(nats_prefix: str) -> None:
    bus = _bus(nats_prefix)
    try:
        got: list[tuple[str, Any]] = []
        done = threading.Event()

        def on(topic: str, m: Any) -> None:
            got.append((topic, m))
            if len(got) == 3000:
                done.set()

        bus.subscribe("ticks.*", on)
        for i in range(3000):
            bus.publish(f"ticks.{'SPY' if i % 3 else 'QQQ'}", _tick(i, "SPY" if i % 3 else "QQQ"), msg_id=f"t{i}")
        assert bus.flush(20)
        assert done.wait(20)
        assert [m.trade_id for _, m in got] == [str(i) for i in range(3000)]
        assert all(t == f"ticks.{m.symbol}" for t, m in got)
        assert got[5][1] == _tick(5, "SPY")
    finally:
        bus.close()


def test_a_message_id_published_again_is_stored_once(nats_prefix: str) -> None:
    bus = _bus(nats_prefix)
    try:
        for _ in range(3):
            bus.publish("orders.filled", {"id": "o1", "qty": Decimal("10")}, msg_id="o1-filled")
        bus.publish("orders.filled", {"id": "o2"})  # no id: the content's digest
        bus.publish("orders.filled", {"id": "o2"})
        assert bus.flush(10)
        assert bus.duplicates == 3
        consumer = bus.consume("orders.>", deliver="all")
        seen = [consumer.next(5) for _ in range(2)]
        assert [d.message["id"] for d in seen if d is not None] == ["o1", "o2"]
        assert seen[0] is not None
        assert seen[0].message["qty"] == Decimal("10")
        assert seen[0].msg_id == "o1-filled"
        assert consumer.next(0.5) is None
        last = bus.last("orders.filled")
        assert last is not None
        assert last.message == {"id": "o2"}
        assert last.seq == 2
    finally:
        bus.close()


def test_a_crashed_durable_consumer_gets_its_unacknowledged_messages_first_and_in_order(nats_prefix: str) -> None:
    bus = _bus(nats_prefix)
    for i in range(20):
        bus.publish("ticks.SPY", _tick(i), msg_id=f"t{i}")
    bus.flush(10)
    first = _bus(nats_prefix)
    c = first.consume("ticks.>", durable="work", deliver="all")
    taken = [c.next(5) for _ in range(8)]
    for d in taken[:5]:
        assert d is not None
        c.ack(d)
    time.sleep(0.3)  # the acknowledgements reach the server; 6-8 were received, never acknowledged
    first.close()  # the process is gone
    for i in range(20, 25):
        bus.publish("ticks.SPY", _tick(i), msg_id=f"t{i}")
    bus.flush(10)
    second = _bus(nats_prefix)
    try:
        again = second.consume("ticks.>", durable="work", deliver="all")
        assert again.ack_floor == 5
        order = []
        while (d := again.next(1.0)) is not None:
            order.append(int(d.message.trade_id))
            again.ack(d)
        assert order == list(range(5, 25))  # nothing lost, nothing twice, in stream order
    finally:
        second.close()
        bus.close()


def test_processed_messages_delivered_again_are_skipped(nats_prefix: str) -> None:
    bus = _bus(nats_prefix)
    try:
        for i in range(10):
            bus.publish("ticks.SPY", _tick(i), msg_id=f"t{i}")
        bus.flush(10)
        c = bus.consume("ticks.>", deliver="all", skip_through=4)  # the service's own records: 1-4 are done
        assert [c.next(5).message.trade_id for _ in range(6)] == [str(i) for i in range(4, 10)]  # type: ignore[union-attr]
        assert c.skipped == 4
    finally:
        bus.close()


def test_a_handler_that_fails_gets_the_message_again(nats_prefix: str) -> None:
    bus = _bus(nats_prefix)
    try:
        calls: list[int] = []
        done = threading.Event()

        def flaky(_topic: str, m: dict[str, int]) -> None:
            calls.append(m["n"])
            if len(calls) == 1:
                raise RuntimeError("database hiccup")
            done.set()

        bus.subscribe("alerts", flaky, durable="notifier", deliver="all")
        bus.publish("alerts", {"n": 7})
        assert done.wait(15)
        assert calls == [7, 7]
        assert bus.handler_errors == 1
    finally:
        bus.close()


def test_an_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(BusError, match=r"cannot reach the NATS server at nats://127.0.0.1:1 .*nats-server -js"):
        NatsBus("nats://127.0.0.1:1", prefix="unreachable", connect_timeout=1.0).start()
