"""The fake TWS against the real ib_async 2.x client over loopback TCP."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from ib_async import IB, Future, LimitOrder, MarketOrder, Order, Stock, StopOrder

from tests.fakes.tws import FakeTws, running_fake

AAPL = Stock("AAPL", "SMART", "USD")
AAPL_Q = Stock("AAPL", "SMART", "USD", conId=265598)  # qualified: ib_async keys tickers by conId
SPY_Q = Stock("SPY", "SMART", "USD", conId=756733)
MSFT_Q = Stock("MSFT", "SMART", "USD", conId=272093)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


Scenario = Callable[[FakeTws, IB], Awaitable[None]]


def run(scenario: Scenario, *, client_id: int = 1, connect: bool = True, **fake_kwargs: Any) -> FakeTws:
    """Start a fake, connect a real ib_async IB, run the scenario, tear everything down."""

    async def main() -> FakeTws:
        fake = FakeTws(**fake_kwargs)
        await fake.start()
        ib = IB()
        try:
            if connect:
                await ib.connectAsync("127.0.0.1", fake.port, clientId=client_id, timeout=3)
            await asyncio.wait_for(scenario(fake, ib), 8)
        finally:
            ib.disconnect()
            await fake.stop()
        assert fake.errors == []
        return fake

    return asyncio.run(main())


async def until(check: Callable[[], Any], timeout: float = 2.0) -> None:
    """Wait until ``check()`` is truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not _safely(check):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.01)


def _safely(check: Callable[[], Any]) -> Any:
    try:
        return check()
    except (KeyError, IndexError):
        return False


# ----------------------------------------------------------------------------- connect / startup
def test_connect_gives_accounts_next_valid_id_and_startup_answers() -> None:
    async def scenario(fake: FakeTws, ib: IB) -> None:
        assert ib.managedAccounts() == ["DU1234567"]
        assert ib.client.serverVersion() == 178
        assert fake.handshakes == [(157, 178, "")]
        assert fake.clients == [1]
        assert fake.received(71) == [["71", "2", "1", ""]]
        for msg_id in (61, 5, 99, 6, 76, 7):
            assert fake.received(msg_id), msg_id
        sent = {f.msg_id for f in fake.frames if f.direction == "out"}
        assert {15, 9, 62, 53, 102, 54, 74, 55} <= sent
        assert ib.client.getReqId() >= 1

    run(scenario)


def test_positions_and_account_values() -> None:
    async def scenario(fake: FakeTws, ib: IB) -> None:
        fake.set_position("DU1234567", "AAPL", 50, 150.0)
        fake.push_trade("AAPL", 160.0)
        await ib.connectAsync("127.0.0.1", fake.port, clientId=3, timeout=3)
        [pos] = ib.positions()
        assert (pos.contract.conId, pos.position, pos.avgCost) == (265598, 50.0, 150.0)
        values = {v.tag: float(v.value) for v in ib.accountValues() if v.currency == "USD" and v.tag in
                  {"NetLiquidation", "GrossPositionValue", "TotalCashValue"}}
        assert values == {"NetLiquidation": 1_008_000.0, "GrossPositionValue": 8000.0, "TotalCashValue": 1_000_000.0}
        [item] = ib.portfolio()
        assert (item.marketPrice, item.unrealizedPNL) == (160.0, 500.0)
        summary = {v.tag: v.value for v in await ib.accountSummaryAsync()}
        assert float(summary["NetLiquidation"]) == 1_008_000.0

    run(scenario, connect=False)


def test_client_id_in_use_then_success() -> None:
    async def scenario(fake: FakeTws, ib: IB) -> None:
        fake.client_id_in_use(times=1)
        errors: list[int] = []
        ib.errorEvent += lambda req_id, code, text, contract: errors.append(code)
        with pytest.raises(TimeoutError):
            await ib.connectAsync("127.0.0.1", fake.port, clientId=5, timeout=0.6)
        assert 326 in errors
        await ib.connectAsync("127.0.0.1", fake.port, clientId=5, timeout=3)
        assert ib.isConnected()
        assert fake.clients == [5]
        assert fake.connect_count == 2

    run(scenario, connect=False)


def test_silent_server_and_refused_connections() -> None:
    async def scenario(fake: FakeTws, ib: IB) -> None:
        fake.silent = True
        with pytest.raises(TimeoutError):
            await ib.connectAsync("127.0.0.1", fake.port, clientId=1, timeout=0.3)
        fake.silent = False
        fake.refuse(0.4)
        with pytest.raises(ConnectionRefusedError):
            await ib.connectAsync("127.0.0.1", fake.port, clientId=1, timeout=1)
        await asyncio.sleep(0.5)
        fake.split_frames = True
        await ib.connectAsync("127.0.0.1", fake.port, clientId=1, timeout=3)
        assert ib.managedAccounts() == ["DU1234567"]

    run(scenario, connect=False)


def test_connectivity_notices_reach_error_event_and_1101_drops_subscriptions() -> None:
    async def scenario(fake: FakeTws, ib: IB) -> None:
        codes: list[int] = []
        ib.errorEvent += lambda req_id, code, text, contract: codes.append(code)
        ib.reqMktData(AAPL_Q)
        await until(lambda: fake.subscriptions("mkt"))
        fake.connectivity_lost()
        fake.connectivity_restored(data_lost=False)
        await until(lambda: 1102 in codes)
        assert fake.subscriptions("mkt")
        fake.connectivity_restored(data_lost=True)
        fake.farm("md_broken")
        await until(lambda: 2103 in codes)
        assert codes[-4:] == [1100, 1102, 1101, 2103]
        assert fake.subscriptions("mkt") == []

    run(scenario)


# --------------------------------------------------------------------------------- contracts
def test_qualify_contracts_unknown_and_ambiguous() -> None:
    async def scenario(fake: FakeTws, ib: IB) -> None:
        fake.add_future("MES", "20261218", 730283085, multiplier="5", exchange="CME")
        fake.ambiguous("IBM")
        aapl, mes, unknown, ibm = await ib.qualifyContractsAsync(
            Stock("AAPL", "SMART", "USD"), Future("MES", "202612", "CME"), Stock("NOPE", "SMART", "USD"),
            Stock("IBM", "SMART"))
        assert (aapl.conId, aapl.primaryExchange, aapl.tradingClass) == (265598, "NASDAQ", "NMS")
        assert (mes.conId, mes.multiplier, mes.lastTradeDateOrContractMonth) == (730283085, "5", "20261218")
        assert unknown is None
        assert ibm is None
        [details] = await ib.reqContractDetailsAsync(Stock("SPY", "SMART", "USD"))
        assert details.contract.conId == 756733
        assert details.contract.primaryExchange == "ARCA"
        assert details.timeZoneId == "US/Eastern"
        assert details.minTick == 0.01
        assert ":0930-" in details.liquidHours
        assert details.tradingHours
        assert details.secIdList[0].value == "US78462F1030"

    run(scenario)


def test_option_chain_depth_and_fundamentals() -> None:
    async def scenario(fake: FakeTws, ib: IB) -> None:
        fake.add_option_chain("AAPL", expirations=["20270115", "20270219"], strikes=[180.0, 190.0])
        [chain] = await ib.reqSecDefOptParamsAsync("AAPL", "", "STK", 265598)
        assert chain.expirations == ["20270115", "20270219"]
        assert chain.strikes == [180.0, 190.0]
        assert (chain.multiplier, chain.underlyingConId) == ("100", "265598")
        details = await ib.reqContractDetailsAsync(
            ib_option("AAPL", "20270115", 190.0, "C"))
        assert len(details) == 1
        assert details[0].contract.multiplier == "100"
        fake.set_depth("AAPL", bids=[(189.9, 300), (189.8, 500)], asks=[(190.1, 200)])
        ticker = ib.reqMktDepth(AAPL_Q, numRows=5)
        await until(lambda: len(ticker.domBids) == 2 and len(ticker.domAsks) == 1)
        assert (ticker.domBids[0].price, ticker.domBids[0].size) == (189.9, 300)
        xml = await ib.reqFundamentalDataAsync(AAPL, "ReportSnapshot")
        assert "APPLE INC" in xml

    run(scenario)


def ib_option(symbol: str, expiry: str, strike: float, right: str) -> Any:
    from ib_async import Option

    return Option(symbol, expiry, strike, right, "SMART", currency="USD")


# ------------------------------------------------------------------------------- market data
def test_mkt_data_first_ticks_stream_rtvolume_and_cancel() -> None:
    async def scenario(fake: FakeTws, ib: IB) -> None:
        fake.push_quote("AAPL", 189.95, 190.05, 300, 400)
        fake.push_trade("AAPL", 190.0, 100)
        ticker = ib.reqMktData(AAPL_Q, "233")
        await until(lambda: ticker.last == 190.0 and ticker.bid == 189.95)
        assert (ticker.ask, ticker.bidSize, ticker.askSize, ticker.marketDataType) == (190.05, 300, 400, 1)
        fake.push_trade("AAPL", 190.5, 200)
        await until(lambda: ticker.last == 190.5)
        assert ticker.lastSize == 200
        assert ticker.volume == 300
        assert ticker.high == 190.5
        assert ticker.rtVolume == 300
        assert ticker.rtTime is not None
        ib.cancelMktData(AAPL_Q)
        await until(lambda: not fake.subscriptions("mkt"))

    run(scenario)


def test_delayed_and_refused_entitlements_and_halt() -> None:
    async def scenario(fake: FakeTws, ib: IB) -> None:
        codes: list[int] = []
        ib.errorEvent += lambda req_id, code, text, contract: codes.append(code)
        fake.set_entitlement("SPY", "delayed")
        fake.set_entitlement("MSFT", "none")
        fake.push_trade("SPY", 600.0)
        spy = ib.reqMktData(SPY_Q)
        ib.reqMktData(MSFT_Q)
        await until(lambda: spy.last == 600.0 and 354 in codes)
        assert spy.marketDataType == 3
        assert 10167 in codes
        fake.halt("SPY")
        await until(lambda: spy.halted == 1)
        snap = await ib.reqTickersAsync(AAPL_Q)
        assert snap[0].contract.conId == 265598

    run(scenario)


def test_tick_by_tick_last_and_bid_ask() -> None:
    async def scenario(fake: FakeTws, ib: IB) -> None:
        last = ib.reqTickByTickData(AAPL_Q, "AllLast")
        quotes = ib.reqTickByTickData(SPY_Q, "BidAsk")
        await until(lambda: len(fake.subscriptions("tbt")) == 2)
        fake.push_trade("AAPL", 191.25, 300, exchange="ARCA")
        fake.push_quote("SPY", 599.9, 600.1, 10, 20)
        await until(lambda: last.tickByTicks and quotes.tickByTicks)
        tick = last.tickByTicks[-1]
        assert (tick.price, tick.size, tick.exchange) == (191.25, 300, "ARCA")
        quote = quotes.tickByTicks[-1]
        assert (quote.bidPrice, quote.askPrice, quote.bidSize, quote.askSize) == (599.9, 600.1, 10, 20)
        ib.cancelTickByTickData(AAPL_Q, "AllLast")
        await until(lambda: len(fake.subscriptions("tbt")) == 1)

    run(scenario)


def test_realtime_bars_every_five_seconds_of_fake_time() -> None:
    async def scenario(fake: FakeTws, ib: IB) -> None:
        start = dt.datetime(2026, 12, 4, 15, 0, 0, tzinfo=dt.UTC)
        fake.set_time(start)
        bars = ib.reqRealTimeBars(AAPL_Q, 5, "TRADES", False)
        await until(lambda: fake.subscriptions("rtbar"))
        for px, size in ((190.0, 100), (191.0, 100), (189.5, 200), (190.5, 100)):
            fake.push_trade("AAPL", px, size)
        fake.advance(5)
        await until(lambda: len(bars) == 1)
        bar = bars[0]
        assert (bar.open_, bar.high, bar.low, bar.close, bar.volume, bar.count) == (190, 191, 189.5, 190.5, 500, 4)
        assert bar.time == start
        assert bar.wap == pytest.approx((190 + 191 + 2 * 189.5 + 190.5) * 100 / 500)
        fake.push_bar("AAPL", 1, 2, 0.5, 1.5, 10)
        await until(lambda: len(bars) == 2)

    run(scenario)


def minute_bars(day: dt.date, n: int) -> list[tuple[dt.datetime, float, float, float, float, float]]:
    first = dt.datetime(day.year, day.month, day.day, 14, 30, tzinfo=dt.UTC)  # 09:30 New York
    return [(first + dt.timedelta(minutes=i), 100 + i, 100.5 + i, 99.5 + i, 100.25 + i, 1000) for i in range(n)]


def test_historical_bars_window_resampling_and_keep_up_to_date() -> None:
    async def scenario(fake: FakeTws, ib: IB) -> None:
        fake.set_history("AAPL", minute_bars(dt.date(2026, 12, 3), 30))
        end = dt.datetime(2026, 12, 3, 14, 50, tzinfo=dt.UTC)
        bars = await ib.reqHistoricalDataAsync(AAPL, end, "1200 S", "5 mins", "TRADES", True)
        assert len(bars) == 4
        first = bars[0]
        assert first.date == dt.datetime(2026, 12, 3, 14, 30, tzinfo=dt.UTC)
        assert (first.open, first.high, first.low, first.close, first.volume) == (100, 104.5, 99.5, 104.25, 5000)
        daily = await ib.reqHistoricalDataAsync(AAPL, end, "2 D", "1 day", "TRADES", True)
        assert [(b.date, b.open, b.close) for b in daily] == [(dt.date(2026, 12, 3), 100, 119.25)]
        fake.set_time(dt.datetime(2026, 12, 3, 15, 0, 10, tzinfo=dt.UTC))
        live = await ib.reqHistoricalDataAsync(AAPL, "", "1 D", "1 min", "TRADES", False, keepUpToDate=True)
        assert live[-1].close == 129.25
        fake.push_trade("AAPL", 131.0, 50)
        await until(lambda: live[-1].close == 131.0)
        assert live[-1].date == dt.datetime(2026, 12, 3, 15, 0, tzinfo=dt.UTC)
        assert [r.bar_size for r in fake.history_requests] == ["5 mins", "1 day", "1 min"]

    run(scenario)


def test_pacing_violation_162_then_data() -> None:
    async def scenario(fake: FakeTws, ib: IB) -> None:
        fake.set_history("AAPL", minute_bars(dt.date(2026, 12, 3), 10))
        end = dt.datetime(2026, 12, 3, 15, 0, tzinfo=dt.UTC)
        codes: list[tuple[int, str]] = []
        ib.errorEvent += lambda req_id, code, text, contract: codes.append((code, text))
        fake.pacing_violations(1)
        assert len(await ib.reqHistoricalDataAsync(AAPL, end, "1 D", "1 min", "TRADES", True)) == 0
        assert codes[-1][0] == 162
        assert "pacing violation" in codes[-1][1]
        assert len(await ib.reqHistoricalDataAsync(AAPL, end, "1 D", "1 min", "TRADES", True)) == 10
        fake.history_mode = "no_data"
        assert len(await ib.reqHistoricalDataAsync(AAPL, end, "1 D", "1 min", "TRADES", True)) == 0
        assert "no data" in codes[-1][1]
        times = fake.history_request_times
        assert len(times) == 3
        assert times == sorted(times)

    run(scenario)


# ------------------------------------------------------------------------------------ orders
def test_market_order_fill_exec_details_and_commission() -> None:
    async def scenario(fake: FakeTws, ib: IB) -> None:
        fake.push_trade("AAPL", 190.0)
        order = MarketOrder("BUY", 300)
        order.orderRef = "theo-1"
        trade = ib.placeOrder(AAPL, order)
        await until(lambda: trade.isDone() and trade.fills and trade.fills[0].commissionReport.commission)
        assert trade.orderStatus.status == "Filled"
        assert trade.orderStatus.avgFillPrice == 190.0
        [fill] = ib.fills()
        assert (fill.execution.side, fill.execution.shares, fill.execution.orderRef) == ("BOT", 300, "theo-1")
        assert fill.execution.clientId == 1
        assert fill.execution.permId == trade.order.permId >= 1000001
        assert fill.commissionReport.commission == 1.5
        assert fill.commissionReport.currency == "USD"
        assert [s.status for s in [trade.orderStatus]] == ["Filled"]
        assert [entry.status for entry in trade.log][:3] == ["PendingSubmit", "PreSubmitted", "Submitted"]
        await until(lambda: ib.positions() and ib.positions()[0].position == 300)
        assert fake.positions() == {"AAPL": (300.0, 190.0)}
        assert fake.account_values()["TotalCashValue"] == 1_000_000 - 300 * 190 - 1.5
        placed = fake.received(3)[0]
        assert len(placed) >= 114
        assert placed[16:19] == ["BUY", "300", "MKT"]

    run(scenario)


def test_limit_order_rests_then_filled_by_trade() -> None:
    async def scenario(fake: FakeTws, ib: IB) -> None:
        fake.push_trade("AAPL", 190.0)
        trade = ib.placeOrder(AAPL, LimitOrder("BUY", 100, 189.0))
        await until(lambda: trade.orderStatus.status == "Submitted")
        fake.push_trade("AAPL", 189.5)
        await asyncio.sleep(0.05)
        assert trade.orderStatus.status == "Submitted"
        assert not trade.fills
        fake.push_trade("AAPL", 188.9)
        await until(lambda: trade.orderStatus.status == "Filled")
        assert trade.fills[0].execution.price == 189.0
        assert fake.orders[trade.order.orderId].status == "Filled"

    run(scenario)


def test_bracket_children_wait_for_parent_then_oca() -> None:
    async def scenario(fake: FakeTws, ib: IB) -> None:
        fake.push_trade("AAPL", 190.0)
        fake.order_policy("AAPL", "accept_only")
        parent, take, stop = ib.bracketOrder("BUY", 100, 189.0, 195.0, 185.0)
        trades = [ib.placeOrder(AAPL, o) for o in (parent, take, stop)]
        await until(lambda: all(t.orderStatus.status in {"PreSubmitted", "Submitted"} for t in trades))
        assert [t.orderStatus.status for t in trades] == ["Submitted", "PreSubmitted", "PreSubmitted"]
        fake.order_policy("AAPL", "auto")
        fake.fill(parent.orderId)
        await until(lambda: [t.orderStatus.status for t in trades] == ["Filled", "Submitted", "Submitted"])
        fake.push_trade("AAPL", 195.5)
        await until(lambda: [t.orderStatus.status for t in trades] == ["Filled", "Filled", "Cancelled"])
        assert trades[1].fills[0].execution.price == 195.0
        assert fake.positions() == {}

    run(scenario)


def test_oca_group_type1_cancels_the_others() -> None:
    async def scenario(fake: FakeTws, ib: IB) -> None:
        fake.push_trade("AAPL", 190.0)
        orders = [LimitOrder("SELL", 10, 195.0), StopOrder("SELL", 10, 185.0)]
        ib.oneCancelsAll(orders, "oca-1", 1)
        codes: list[int] = []
        ib.errorEvent += lambda req_id, code, text, contract: codes.append(code)
        trades = [ib.placeOrder(AAPL, o) for o in orders]
        await until(lambda: all(t.orderStatus.status == "Submitted" for t in trades))
        fake.push_trade("AAPL", 184.0)
        await until(lambda: [t.orderStatus.status for t in trades] == ["Cancelled", "Filled"])
        assert trades[1].fills[0].execution.price == 184.0
        await until(lambda: 202 in codes)

    run(scenario)


def test_trailing_stop_follows_the_high_then_triggers() -> None:
    async def scenario(fake: FakeTws, ib: IB) -> None:
        fake.push_trade("AAPL", 100.0)
        order = Order(action="SELL", totalQuantity=10, orderType="TRAIL", auxPrice=1.0)
        trade = ib.placeOrder(AAPL, order)
        await until(lambda: trade.orderStatus.status == "Submitted")
        assert fake.orders[order.orderId].trail_stop_price == 99.0
        for px in (101.0, 102.5, 102.0):
            fake.push_trade("AAPL", px)
        mark = fake.mark()
        await fake.wait_for(5, lambda f: f[65] == "101.5", direction="out")
        fake.push_trade("AAPL", 101.6)
        await asyncio.sleep(0.05)
        assert trade.orderStatus.status == "Submitted"
        fake.push_trade("AAPL", 101.4)
        await until(lambda: trade.orderStatus.status == "Filled")
        assert trade.fills[0].execution.price == 101.4
        assert fake.mark() > mark

    run(scenario)


def test_modify_then_cancel() -> None:
    async def scenario(fake: FakeTws, ib: IB) -> None:
        fake.push_trade("AAPL", 190.0)
        codes: list[int] = []
        ib.errorEvent += lambda req_id, code, text, contract: codes.append(code)
        order = LimitOrder("BUY", 100, 180.0)
        trade = ib.placeOrder(AAPL, order)
        await until(lambda: trade.orderStatus.status == "Submitted")
        order.lmtPrice, order.totalQuantity = 181.0, 150
        ib.placeOrder(AAPL, order)
        await until(lambda: fake.orders[order.orderId].lmt_price == 181.0)
        await until(lambda: trade.order.lmtPrice == 181.0 and trade.orderStatus.remaining == 150)
        assert fake.orders[order.orderId].total_quantity == 150
        assert trade.orderStatus.remaining == 150
        ib.cancelOrder(order)
        await until(lambda: trade.orderStatus.status == "Cancelled" and 202 in codes)
        ib.client.cancelOrder(order.orderId)
        ib.client.cancelOrder(9999)
        await until(lambda: 10148 in codes and 10147 in codes)
        ib.client.placeOrder(order.orderId - 1, AAPL, LimitOrder("BUY", 1, 1.0))
        await until(lambda: 103 in codes)

    run(scenario)


def test_reject_201_reason_reaches_trade_log() -> None:
    async def scenario(fake: FakeTws, ib: IB) -> None:
        fake.reject_next("Insufficient buying power", json='{"reason":"margin"}')
        trade = ib.placeOrder(AAPL, LimitOrder("BUY", 100, 180.0))
        await until(lambda: trade.orderStatus.status == "Cancelled")
        assert any(entry.errorCode == 201 and "Insufficient buying power" in entry.message for entry in trade.log)
        assert trade.advancedError == '{"reason":"margin"}'

    run(scenario)


def test_partial_fill_then_cancel_keeps_filled_quantity() -> None:
    async def scenario(fake: FakeTws, ib: IB) -> None:
        fake.order_policy(None, "accept_only")
        order = LimitOrder("BUY", 100, 180.0)
        trade = ib.placeOrder(AAPL, order)
        await until(lambda: trade.orderStatus.status == "Submitted")
        fake.fill(order.orderId, qty=30, price=179.5)
        await until(lambda: trade.orderStatus.filled == 30)
        assert trade.orderStatus.remaining == 70
        assert trade.orderStatus.status == "Submitted"
        ib.cancelOrder(order)
        await until(lambda: trade.orderStatus.status == "Cancelled")
        assert trade.filled() == 30
        assert fake.positions() == {"AAPL": (30.0, 179.5)}

    run(scenario)


def test_scheduled_partial_fills() -> None:
    async def scenario(fake: FakeTws, ib: IB) -> None:
        fake.push_trade("AAPL", 190.0)
        fake.partial_fills(3, 0.05)
        trade = ib.placeOrder(AAPL, MarketOrder("SELL", 100))
        await until(lambda: trade.orderStatus.status == "Filled")
        assert [f.execution.shares for f in trade.fills] == [33, 33, 34]
        assert [f.execution.cumQty for f in trade.fills] == [33, 66, 100]

    run(scenario)


def test_reconnect_shows_server_side_state() -> None:
    async def scenario(fake: FakeTws, ib: IB) -> None:
        fake.push_trade("AAPL", 190.0)
        market = ib.placeOrder(AAPL, MarketOrder("BUY", 100))
        resting = LimitOrder("SELL", 100, 200.0)
        resting.orderRef = "tp-1"
        ib.placeOrder(AAPL, resting)
        await until(lambda: market.isDone() and fake.orders[resting.orderId].status == "Submitted")
        fake.drop()
        await until(lambda: not ib.isConnected())
        fake.fill(resting.orderId)  # fills while the client is away
        fake.drop_on_place("lost-1")
        await ib.connectAsync("127.0.0.1", fake.port, clientId=1, timeout=3)
        lost = LimitOrder("BUY", 5, 150.0)
        lost.orderRef = "lost-1"
        ib.placeOrder(AAPL, lost)
        await until(lambda: not ib.isConnected())
        assert fake.orders[lost.orderId].status == "Submitted"
        await ib.connectAsync("127.0.0.1", fake.port, clientId=1, timeout=3)
        assert [t.order.orderRef for t in ib.openTrades()] == ["lost-1"]
        fills = await ib.reqExecutionsAsync()
        assert sorted((f.execution.side, f.execution.price) for f in fills) == [("BOT", 190.0), ("SLD", 200.0)]
        completed = await ib.reqCompletedOrdersAsync(False)
        done = sorted((t.order.orderRef, t.orderStatus.status) for t in completed)
        assert done == [("", "Filled"), ("tp-1", "Filled")]
        assert fake.connect_count == 3
        assert len(fake.received(3)) == 3  # the lost order was not sent again

    run(scenario)


def test_stray_incarnation_and_report_injections() -> None:
    async def scenario(fake: FakeTws, ib: IB) -> None:
        fake.push_trade("AAPL", 190.0)
        order = LimitOrder("BUY", 10, 180.0)
        order.orderRef = "ref-x"
        ib.placeOrder(AAPL, order)
        await until(lambda: fake.orders[order.orderId].status == "Submitted")
        stray = fake.add_stray_incarnation("ref-x")
        await until(lambda: len(ib.openTrades()) == 2)
        assert {t.order.permId for t in ib.openTrades()} == {fake.orders[order.orderId].perm_id, stray.perm_id}
        assert all(t.order.orderRef == "ref-x" for t in await ib.reqAllOpenOrdersAsync())
        fake.out_of_order_reports = True
        fake.duplicate_reports = True
        mark = fake.mark()
        trade = ib.placeOrder(AAPL, MarketOrder("BUY", 5))
        await until(lambda: trade.orderStatus.status == "Filled")
        ids = [f.msg_id for f in fake.frames[mark:] if f.direction == "out" and f.msg_id in {3, 5, 11}]
        assert ids[:3] == [11, 11, 3]
        assert ids[-1] == 5
        assert ids.count(11) == 2
        assert len(ib.fills()) == 1

    run(scenario)


def test_running_fake_in_a_thread_with_sync_client() -> None:
    with running_fake(accounts=("DU1", "DU2")) as fake:
        fake.push_trade("AAPL", 190.0)

        async def main() -> list[str]:
            ib = IB()
            await ib.connectAsync("127.0.0.1", fake.port, clientId=9, timeout=3)
            trade = ib.placeOrder(AAPL, MarketOrder("BUY", 1, account="DU2"))
            await until(lambda: trade.isDone())
            accounts = ib.managedAccounts()
            ib.disconnect()
            return accounts

        assert asyncio.run(main()) == ["DU1", "DU2"]
        frame = fake.wait_for_sync(3, lambda f: f[23] == "DU2")
        assert frame.client_id == 9
        assert fake.positions("DU2") == {"AAPL": (1.0, 190.0)}


def test_server_version_176_what_if_stall_rate_limit_and_restart() -> None:
    async def scenario(fake: FakeTws, ib: IB) -> None:
        assert ib.client.serverVersion() == 176
        fake.push_trade("AAPL", 100.0)
        trade = ib.placeOrder(AAPL, LimitOrder("BUY", 10, 99.0))
        await until(lambda: trade.orderStatus.status == "Submitted")
        assert len(fake.sent(5)[-1]) == 128  # faProfile is still there below 177
        state = await ib.whatIfOrderAsync(AAPL, MarketOrder("BUY", 10))
        assert (float(state.initMarginChange), state.commission) == (250.0, 1.0)
        fake.stall()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(ib.reqCurrentTimeAsync(), 0.2)
        fake.unstall()
        assert (await asyncio.wait_for(ib.reqCurrentTimeAsync(), 1)).year >= 2026
        codes: list[int] = []
        ib.errorEvent += lambda req_id, code, text, contract: codes.append(code)
        fake.rate_limit = 3
        for _ in range(5):
            ib.client.reqCurrentTime()
        await until(lambda: codes.count(100) == 2)
        fake.rate_limit = 0
        fake.restart(0.3)
        await until(lambda: not ib.isConnected())
        with pytest.raises(ConnectionRefusedError):
            await ib.connectAsync("127.0.0.1", fake.port, clientId=1, timeout=1)
        await asyncio.sleep(0.35)
        await ib.connectAsync("127.0.0.1", fake.port, clientId=1, timeout=2)
        assert [t.order.lmtPrice for t in ib.openTrades()] == [99.0]

    run(scenario, server_version=176)


def test_too_low_server_version_fails_the_connect() -> None:
    async def scenario(fake: FakeTws, ib: IB) -> None:
        with pytest.raises(TimeoutError):
            await ib.connectAsync("127.0.0.1", fake.port, clientId=1, timeout=0.5)
        assert fake.clients == []

    run(scenario, connect=False, server_version=150)


def test_module_entry_point_streams_a_random_walk() -> None:
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    proc = subprocess.Popen([sys.executable, "-m", "tests.fakes.tws", "--port", "0", "--symbols", "AAPL",
                             "--tick-interval", "0.05", "--seed", "1"], cwd=root, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().rsplit(":", 1)[1])

        async def main() -> float:
            ib = IB()
            await ib.connectAsync("127.0.0.1", port, clientId=4, timeout=3)
            ticker = ib.reqMktData(AAPL_Q)
            await until(lambda: ticker.last == ticker.last and ticker.last > 0)
            ib.disconnect()
            return float(ticker.last)

        assert 90 < asyncio.run(main()) < 110
    finally:
        proc.terminate()
        proc.wait(5)
