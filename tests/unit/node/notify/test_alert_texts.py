"""What a trader reads: order, fill, moved stop and closed trade alerts from the engine's objects, money to two
decimals, times in New York; each keyed by the event so it is sent once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from theo.config.telegram import AlertKind
from theo.core.calendar import get_calendar
from theo.model.enums import OrderStatus, OrderType, Side
from theo.model.events import Execution
from theo.model.orders import Order, OrderRequest, OrderTag
from theo.node.notify.alerts import Priority, bus_alert
from theo.node.notify.events import AlertMaker

T = datetime(2026, 7, 1, 14, 31, 5, tzinfo=UTC)  # 10:31:05 EDT


def _stop_order() -> Order:
    req = OrderRequest("SPY", Side.SELL, Decimal(100), OrderType.STOP, stop_price=Decimal("540.5"),
                       tag=OrderTag.STOP_LOSS)
    return Order("o-1", req, status=OrderStatus.ACCEPTED, updated_at=T)


def test_a_placed_stop_then_a_moved_stop_then_its_fill() -> None:
    maker = AlertMaker(get_calendar())
    order = _stop_order()
    (placed,) = maker.on_order(order)
    assert placed.text == "Order placed: SELL 100 SPY STOP stop 540.50 [stop loss]\n2026-07-01 10:31:05 ET · o-1"
    assert (placed.kind, placed.key) == (AlertKind.ORDER, "order:o-1:ACCEPTED")
    order.request = replace(order.request, stop_price=Decimal("542.25"))
    moved = maker.on_order(order)
    assert [a.kind for a in moved] == [AlertKind.ORDER, AlertKind.STOP]  # the same placed key: deduplicated later
    assert moved[1].text.startswith("Stop moved: SPY SELL stop 540.50 → 542.25 [stop loss]")
    assert moved[1].key == "stop:o-1:542.25"
    fill = Execution("x-9", "o-1", "SPY", Side.SELL, Decimal(100), Decimal("542.2"), T)
    order.fills.append(fill)
    order.filled_qty, order.status = Decimal(100), OrderStatus.FILLED
    (filled,) = maker.on_order(order)
    assert filled.text == "Filled: SELL 100 SPY @ 542.20 [stop loss]\n100/100 done · 2026-07-01 10:31:05 ET · o-1"
    assert filled.key == "fill:x-9"


def test_a_rejected_order_is_urgent_and_says_why() -> None:
    maker = AlertMaker(get_calendar())
    order = _stop_order()
    order.status, order.reason = OrderStatus.REJECTED, "insufficient buying power"
    (alert,) = maker.on_order(order)
    assert alert.priority is Priority.URGENT
    assert alert.text.splitlines()[1] == "insufficient buying power"


def test_a_repeating_error_has_one_key_per_window() -> None:
    a = bus_alert({"level": "error", "text": "socket closed", "source": "ibkr"}, T, 7)
    b = bus_alert({"level": "error", "text": "socket closed", "source": "ibkr"}, T, 7)
    c = bus_alert({"level": "error", "text": "socket closed", "source": "ibkr"}, T, 8)
    assert a.key == b.key != c.key
    assert a.text == "ERROR (ibkr): socket closed\n2026-07-01 10:31:05 ET"
    assert a.kind is AlertKind.ERROR
    assert a.priority is Priority.URGENT
