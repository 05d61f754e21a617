"""After a lost connection TWS's records are the truth: nothing is sent twice, strays are cancelled."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from tests.integration.ibkr.rig import Rig, rig
from theo.adapters.ibkr.connection import Link
from theo.model.enums import OrderStatus, OrderType, Side

D = Decimal


def run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


async def reconnected(r: Rig, count: int) -> None:
    """Wait for the session's reconnect number ``count``, then reconcile as the live run does."""
    await r.until(lambda: r.session.reconnects >= count and r.session.link is Link.READY, timeout=8,
                  what="the reconnect")
    r.service.reconcile()


def test_a_disconnect_after_send_before_ack_finds_the_order_at_tws_and_never_sends_it_again() -> None:
    async def go() -> None:
        async with rig() as r:
            r.fake.order_policy("AAPL", "accept_only")
            r.fake.drop_on_place()
            order = r.order(Side.BUY, 100, OrderType.LIMIT, limit_price=D("99"))
            assert order.status is OrderStatus.SUBMITTED  # sent, no answer: the socket closed first
            await reconnected(r, 1)
            assert order.status is OrderStatus.ACCEPTED
            refs = [f[26] for f in r.fake.received(3)]
            assert refs.count(order.client_order_id) == 1  # placed once, found again by orderRef
            assert len(r.at_fake(order.client_order_id)) == 1

    run(go())


def test_an_order_filled_while_disconnected_is_booked_from_the_executions_on_reconnect() -> None:
    async def go() -> None:
        async with rig() as r:
            r.fake.order_policy("AAPL", "accept_only")
            order = r.order(Side.BUY, 100, OrderType.LIMIT, limit_price=D("99"))
            await r.status(order, OrderStatus.ACCEPTED)
            [at_ib] = r.at_fake(order.client_order_id)
            r.fake.refuse(0.3)
            r.fake.drop()
            r.fake.fill(at_ib.order_id, price=98.5)  # filled at the exchange while Theo is away
            await reconnected(r, 1)
            assert order.status is OrderStatus.FILLED
            assert order.avg_fill_price == D("98.5")
            assert len(order.fills) == 1
            assert r.service.positions() == {"AAPL": D(100)}

    run(go())


def test_a_second_live_incarnation_of_one_order_ref_is_cancelled_with_an_alert() -> None:
    async def go() -> None:
        async with rig() as r:
            r.fake.order_policy("AAPL", "accept_only")
            order = r.order(Side.SELL, 100, OrderType.STOP, stop_price=D("90"))
            await r.status(order, OrderStatus.ACCEPTED)
            [first] = r.at_fake(order.client_order_id)
            r.fake.connectivity_lost()
            await r.until(lambda: r.session.link is Link.LOST, what="1100")
            stray = r.fake.add_stray_incarnation(order.client_order_id)  # IB turned a modify into a new order
            r.fake.drop()
            await reconnected(r, 1)
            await r.until(lambda: stray.status == "Cancelled", what="the stray to be cancelled")
            assert first.status in ("Submitted", "PreSubmitted")  # ours keeps protecting the position
            assert order.status is OrderStatus.ACCEPTED
            assert any(level == "critical" and str(stray.perm_id) in text for level, text in r.alerts)

    run(go())


def test_an_order_without_an_answer_becomes_unknown_and_is_resolved_by_asking_tws() -> None:
    async def go() -> None:
        async with rig() as r:
            r.fake.order_policy("AAPL", "never_ack")
            timed_out: list[str] = []

            def on_timeout(cid: str, why: str) -> None:
                timed_out.append(why)
                r.service.mark_unknown(r.service.lookup(cid), why)  # type: ignore[arg-type]

            r.broker.on_ack_timeout = on_timeout
            order = r.order(Side.BUY, 10, OrderType.LIMIT, limit_price=D("99"))
            await r.status(order, OrderStatus.UNKNOWN, timeout=6)
            assert "not re-sent" in timed_out[0]
            await r.session.ib.reqOpenOrdersAsync()  # ask TWS, as the live run does
            r.broker.resync()
            r.service.get_order_status(order.client_order_id)
            assert order.status is OrderStatus.ACCEPTED
            assert [f[26] for f in r.fake.received(3)].count(order.client_order_id) == 1

    run(go())
