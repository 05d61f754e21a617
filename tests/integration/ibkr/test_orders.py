"""Orders through the IBKR adapter and the real ib_async client, against the fake TWS on 127.0.0.1."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from tests.integration.ibkr.rig import rig
from theo.model.enums import OrderStatus, OrderType, Side, TimeInForce
from theo.model.orders import OrderRequest, OrderTag

D = Decimal

def run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


def test_a_market_order_is_filled_once_with_the_broker_commission_and_our_id_in_order_ref() -> None:
    async def go() -> None:
        async with rig() as r:
            r.fake.push_trade("AAPL", 190.25, 100)
            order = r.order(Side.BUY, 100)
            await r.status(order, OrderStatus.FILLED)
            [at_ib] = r.at_fake(order.client_order_id)
            assert (at_ib.order_type, at_ib.total_quantity, at_ib.action) == ("MKT", 100, "BUY")
            assert order.filled_qty == D(100)
            assert order.avg_fill_price == D("190.25")
            [fill] = order.fills
            assert fill.charges.source == "broker"
            assert fill.charges.commission == D("1.0")
            assert order.broker_order_id == str(at_ib.order_id)
            assert r.broker.positions()["AAPL"].quantity == D(100)

    run(go())


def test_limit_stop_and_trailing_orders_carry_their_prices_tif_and_routing() -> None:
    async def go() -> None:
        async with rig() as r:
            r.fake.push_trade("AAPL", 190.0, 100)
            lmt = r.order(Side.BUY, 10, OrderType.LIMIT, limit_price=D("185.50"), tif=TimeInForce.GTC)
            stp = r.order(Side.SELL, 10, OrderType.STOP, stop_price=D("180"), tif=TimeInForce.DAY)
            trl = r.order(Side.SELL, 10, OrderType.TRAILING_STOP, trail_percent=D("1.5"))
            for o in (lmt, stp, trl):
                await r.status(o, OrderStatus.ACCEPTED)
            [a], [b], [c] = (r.at_fake(o.client_order_id) for o in (lmt, stp, trl))
            assert (a.order_type, a.lmt_price, a.tif) == ("LMT", 185.5, "GTC")
            assert (b.order_type, b.aux_price) == ("STP", 180.0)
            assert (c.order_type, c.trailing_percent) == ("TRAIL", 1.5)
            r.fake.push_trade("AAPL", 185.0, 100)  # the limit is marketable now
            await r.status(lmt, OrderStatus.FILLED)
            assert lmt.avg_fill_price == D("185.5")

    run(go())


def test_a_rejected_order_shows_the_reason_from_ibkr() -> None:
    async def go() -> None:
        async with rig() as r:
            r.fake.reject_next("Your account has insufficient buying power", code=201)
            order = r.order()
            await r.status(order, OrderStatus.REJECTED)
            assert "201" in order.reason
            assert "insufficient buying power" in order.reason

    run(go())


def test_a_partial_fill_then_a_cancel_keeps_what_filled() -> None:
    async def go() -> None:
        async with rig() as r:
            r.fake.order_policy("AAPL", "accept_only")
            order = r.order(Side.BUY, 100, OrderType.LIMIT, limit_price=D("190"))
            await r.status(order, OrderStatus.ACCEPTED)
            [at_ib] = r.at_fake(order.client_order_id)
            r.fake.fill(at_ib.order_id, qty=40, price=190.0)
            await r.status(order, OrderStatus.PARTIALLY_FILLED)
            r.service.cancel_order(order.client_order_id)
            await r.status(order, OrderStatus.CANCELLED)
            assert order.filled_qty == D(40)
            assert r.broker.positions()["AAPL"].quantity == D(40)

    run(go())


def test_duplicate_and_out_of_order_reports_book_each_execution_once() -> None:
    async def go() -> None:
        async with rig() as r:
            r.fake.duplicate_reports = True
            r.fake.out_of_order_reports = True
            r.fake.partial_fills(3, 0.02)
            r.fake.push_trade("AAPL", 100.0, 100)
            order = r.order(Side.BUY, 90)
            await r.status(order, OrderStatus.FILLED)
            await asyncio.sleep(0.3)  # the duplicates have arrived
            fills = order.fills
            assert len(fills) == 3
            assert len({f.exec_id for f in fills}) == 3
            assert sum(f.quantity for f in fills) == D(90) == order.filled_qty

    run(go())


def test_a_bracket_transmits_on_the_last_child_and_the_target_cancels_the_stop() -> None:
    async def go() -> None:
        async with rig() as r:
            r.fake.push_trade("AAPL", 100.0, 100)
            entry = OrderRequest("AAPL", Side.BUY, D(50), OrderType.MARKET, strategy="t")
            stop = OrderRequest("AAPL", Side.SELL, D(50), OrderType.STOP, stop_price=D("95"), strategy="t",
                                tag=OrderTag.STOP_LOSS)
            target = OrderRequest("AAPL", Side.SELL, D(50), OrderType.LIMIT, limit_price=D("110"), strategy="t",
                                  tag=OrderTag.TAKE_PROFIT)
            bracket = r.service.submit_bracket(entry, [stop, target])
            await r.status(bracket.entry, OrderStatus.FILLED)
            sl, tp = bracket.children
            await r.status(sl, OrderStatus.ACCEPTED)
            await r.status(tp, OrderStatus.ACCEPTED)
            placed = r.fake.received(3)
            assert [f[27] for f in placed[-3:]] == ["0", "0", "1"]  # transmit only on the last child
            parent_id = placed[-3][1]
            assert [f[28] for f in placed[-2:]] == [parent_id, parent_id]
            [sl_ib] = r.at_fake(sl.client_order_id)
            assert sl_ib.oca_group == tp.oco_group
            assert sl_ib.oca_type == 1
            r.service.modify_order(sl.client_order_id, stop_price=D("98"))
            await r.until(lambda: sl.request.stop_price == D("98"), what="the stop to move")
            assert r.at_fake(sl.client_order_id)[0].aux_price == 98.0
            r.fake.push_trade("AAPL", 111.0, 100)
            await r.status(tp, OrderStatus.FILLED)
            await r.status(sl, OrderStatus.CANCELLED)
            assert "AAPL" not in r.broker.positions()

    run(go())


def test_executions_without_order_ref_are_matched_by_ibkr_ids_and_still_booked_once() -> None:
    async def go() -> None:
        async with rig() as r:
            r.fake.exec_order_ref = False
            r.fake.omit_commission = True  # and the commission never comes: the modelled charges are used
            r.fake.push_trade("AAPL", 50.0, 100)
            order = r.order(Side.BUY, 300)
            await r.status(order, OrderStatus.FILLED)
            [fill] = order.fills
            assert fill.client_order_id == order.client_order_id
            assert fill.charges.source == "model"
            assert fill.charges.commission == D("1.50")  # IBKR Pro fixed: 300 x 0.005 (market-rules.md §7.1)
            assert [e.client_order_id for e in r.broker.executions()] == [order.client_order_id]

    run(go())
