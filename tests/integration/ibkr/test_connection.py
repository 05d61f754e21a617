"""The IBKR session against the fake TWS: back-off, client id in use, account check, link loss and restarts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.fakes.tws import FakeTws
from tests.integration.ibkr.rig import ib_config, rig
from theo.adapters.ibkr.connection import AccountError, IbkrSession, Link
from theo.core.calendar import ET
from theo.model.enums import OrderStatus, OrderType, Side

D = Decimal

def run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


def test_client_id_in_use_after_a_restart_is_retried_with_the_same_id() -> None:
    async def go() -> None:
        fake = FakeTws()
        await fake.start()
        fake.client_id_in_use(times=2)
        session = IbkrSession(ib_config(fake.port, client_id=7))
        try:
            await session.connect(attempts=10)
            assert session.ready
            assert session.account == "DU1234567"
            ids = [int(f[2]) for f in fake.received(71)]
            assert ids == [7, 7, 7]  # refused twice (326), then accepted: never another client id
            assert any(e.code == 326 for e in session.errors)
        finally:
            await session.close()
            await fake.stop()

    run(go())


def test_nothing_listening_is_retried_then_reported_in_words() -> None:
    async def go() -> None:
        fake = FakeTws()
        await fake.start()
        port = fake.port
        await fake.stop()
        session = IbkrSession(ib_config(port))
        with pytest.raises(ConnectionError, match=r"nothing listens at 127\.0\.0\.1"):
            await session.connect(attempts=3)
        assert session.link is Link.DOWN
        assert "start TWS or IB Gateway" in session.refusal() or "not connected" in session.refusal()

    run(go())


def test_a_live_account_is_refused_without_live_and_its_name_in_the_config() -> None:
    async def go() -> None:
        fake = FakeTws(accounts=("U7654321",))
        await fake.start()
        try:
            session = IbkrSession(ib_config(fake.port))
            with pytest.raises(AccountError, match="live"):
                await session.connect(attempts=3)
            assert session.link is Link.CLOSED
            assert not session.ib.isConnected()
            ok = IbkrSession(ib_config(fake.port, account="U7654321", client_id=2), live=True)
            await ok.connect(attempts=3)
            assert ok.account == "U7654321"
            await ok.close()
        finally:
            await fake.stop()

    run(go())


def test_connectivity_lost_refuses_orders_until_restored_and_farm_flaps_change_nothing() -> None:
    async def go() -> None:
        async with rig() as r:
            r.fake.push_trade("AAPL", 100.0, 100)
            for code in (2103, 2105, 10182, 2104):
                r.fake.farm(code)
            await asyncio.sleep(0.1)
            assert r.session.link is Link.READY  # data-farm notices never touch the order connection
            r.fake.connectivity_lost()
            await r.until(lambda: r.session.link is Link.LOST, what="1100")
            refused = r.order()
            assert refused.status is OrderStatus.REJECTED
            assert "1100" in refused.reason
            assert "no order is sent" in refused.reason
            assert r.at_fake(refused.client_order_id) == []
            r.fake.connectivity_restored(data_lost=False)
            await r.until(lambda: r.session.link is Link.READY, what="1102")
            sent = r.order()
            await r.status(sent, OrderStatus.FILLED)

    run(go())


def test_a_connection_lost_for_good_turns_health_red_alerts_and_refuses_every_order() -> None:
    async def go() -> None:
        async with rig() as r:
            r.fake.refuse(60)
            r.fake.drop()
            await r.until(lambda: r.session.health()["status"] == "red", timeout=5, what="health red")
            await r.until(lambda: any(level == "critical" and "down" in text for level, text in r.alerts),
                          timeout=2, what="the alert")
            assert r.session.health()["link"] in ("down", "connecting")
            order = r.order()
            assert order.status is OrderStatus.REJECTED
            assert "not connected to TWS" in order.reason

    run(go())


def test_the_nightly_restart_is_survived_and_trading_resumes_after_it() -> None:
    async def go() -> None:
        async with rig() as r:
            r.fake.restart(down_seconds=0.5)
            await r.until(lambda: r.session.link is not Link.READY, what="the restart to drop the link")
            await r.until(lambda: r.session.link is Link.READY, timeout=8, what="the reconnect")
            assert r.session.reconnects >= 1
            r.fake.push_trade("AAPL", 101.0, 100)
            order = r.order()
            await r.status(order, OrderStatus.FILLED)
            assert len(r.at_fake(order.client_order_id)) == 1

    run(go())


def test_orders_inside_the_daily_restart_window_are_refused_with_the_reason_and_kept() -> None:
    async def go() -> None:
        soon = (datetime.now(UTC) + timedelta(seconds=60)).astimezone(ET)
        async with rig(daily_restart=soon.time().replace(microsecond=0), restart_guard_before_seconds=120) as r:
            order = r.order(Side.BUY, 10, OrderType.LIMIT, limit_price=D("100"))
            assert order.status is OrderStatus.REJECTED
            assert "daily restart window" in order.reason
            assert r.service.lookup(order.client_order_id) is order  # journaled with its reason, not lost
            assert r.at_fake(order.client_order_id) == []

    run(go())


def test_a_silent_tws_is_detected_by_the_probe_and_the_session_reconnects() -> None:
    async def go() -> None:
        async with rig() as r:
            first = r.fake.connect_count
            r.fake.stall()
            await r.until(lambda: r.session.link is not Link.READY, timeout=6, what="the probe to notice")
            r.fake.unstall()
            await r.until(lambda: r.session.link is Link.READY and r.fake.connect_count > first, timeout=8,
                          what="the reconnect")

    run(go())
