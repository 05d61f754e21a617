"""Streaming ticks, quotes and 5-second bars from the fake TWS through the real ib_async client."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.integration.ibkr.data_support import rig
from theo.model.enums import SessionKind
from theo.model.market import Bar, Quote, Tick

T0 = datetime(2026, 12, 3, 15, 0, 1, tzinfo=UTC)  # 10:00:01 ET, regular session


def test_tick_by_tick_trades_quotes_and_5s_bars_arrive_as_theo_objects() -> None:
    async def main() -> None:
        async with rig() as r:
            await r.md.subscribe(["AAPL"], bars=True)
            await asyncio.sleep(0.1)
            r.fake.push_trade("AAPL", 190.25, 300, ts=T0)
            r.fake.push_trade("AAPL", 190.25, 300, ts=T0)  # an identical second print in the same second
            r.fake.push_quote("AAPL", 190.2, 190.3, 400, 500)
            r.fake.push_bar("AAPL", 190.0, 190.5, 189.9, 190.25, volume=1200, count=7, ts=T0)
            await r.until(lambda: len(r.of(Tick)) == 2 and r.of(Quote) and r.of(Bar))
            a, b = r.of(Tick)
            assert (a.symbol, a.price, a.size, a.source, a.exchange, a.ts) == (
                "AAPL", 190.25, 300, "ibkr", "NASDAQ", T0)
            assert a.received is not None
            assert a.received > a.ts
            assert a.trade_id != b.trade_id  # two prints, not one delivered twice
            [q] = r.of(Quote)
            assert (q.symbol, q.bid, q.ask, q.bid_size, q.ask_size, q.source) == (
                "AAPL", 190.2, 190.3, 400, 500, "ibkr")
            [bar] = r.of(Bar)
            assert (bar.timeframe, bar.start, bar.end) == ("5s", T0 - timedelta(seconds=1), T0 + timedelta(seconds=4))
            assert (bar.open, bar.high, bar.low, bar.close, bar.volume, bar.tick_count) == (
                190.0, 190.5, 189.9, 190.25, 1200, 7)
            assert bar.session is SessionKind.REGULAR
            stats = r.latency.snapshot()[("ibkr", "AAPL")]
            assert stats.count == 2
            assert stats.p50 > 0

    asyncio.run(main())


def test_refused_tick_by_tick_falls_back_to_rtvolume_with_millisecond_exchange_time() -> None:
    async def main() -> None:
        async with rig(lambda f: f.set_entitlement("MSFT", "delayed")) as r:
            await r.md.subscribe(["MSFT"], quotes=False)
            await r.until(lambda: bool(r.fake.subscriptions("mkt")))
            assert not r.fake.subscriptions("tbt")  # 10089 on tick-by-tick: cancelled, RTVolume (233) instead
            stream = r.md.streams.streams["MSFT"]
            assert not stream.tick_by_tick
            when = T0 + timedelta(milliseconds=250)
            r.fake.push_trade("MSFT", 410.5, 25, ts=when)
            await r.until(lambda: bool(r.of(Tick)))
            [t] = r.of(Tick)
            assert (t.price, t.size, t.ts) == (410.5, 25, when)
            assert t.trade_id.startswith("rt|")

    asyncio.run(main())


def test_streams_are_restored_after_1101_and_redelivered_prints_keep_their_trade_id() -> None:
    async def main() -> None:
        async with rig() as r:
            await r.md.subscribe(["AAPL"], bars=True)
            await r.until(lambda: len(r.fake.subscriptions("tbt")) == 1 and len(r.fake.subscriptions("rtbar")) == 1)
            r.fake.push_trade("AAPL", 190.0, 100, ts=T0)
            await r.until(lambda: len(r.of(Tick)) == 1)
            r.fake.farm("md_broken")  # a farm flap tears nothing down
            r.fake.farm("md_ok")
            await asyncio.sleep(0.05)
            assert len(r.fake.subscriptions("tbt")) == 1
            r.fake.connectivity_restored(data_lost=True)  # 1101: TWS dropped every subscription
            await r.until(lambda: len(r.fake.subscriptions("tbt")) == 1 and len(r.fake.subscriptions("mkt")) == 1
                          and len(r.fake.subscriptions("rtbar")) == 1)
            r.fake.push_trade("AAPL", 190.0, 100, ts=T0)  # the same print, sent again after resubscribing
            r.fake.push_trade("AAPL", 190.1, 100, ts=T0 + timedelta(seconds=1))
            await r.until(lambda: len(r.of(Tick)) == 3)
            first, again, new = r.of(Tick)
            assert again.trade_id == first.trade_id  # the quality gate drops it as a duplicate
            assert new.trade_id != first.trade_id
            assert new.price == 190.1

    asyncio.run(main())


def test_streams_and_kept_up_to_date_bars_are_restored_after_a_restart() -> None:
    async def main() -> None:
        async with rig() as r:
            minute = datetime(2026, 12, 3, 14, 50, tzinfo=UTC)
            r.fake.set_history("SPY", [(minute + timedelta(minutes=i), 600 + i, 601 + i, 599 + i, 600.5 + i, 1000)
                                       for i in range(5)])
            r.fake.set_time(minute + timedelta(minutes=4, seconds=30))
            runner = asyncio.create_task(r.session.run())
            await r.md.subscribe(["SPY"], quotes=False)
            bars: list[Bar] = []
            await r.md.subscribe_bars("SPY", "1m", handler=bars.append)
            assert [b.start for b in bars] == [minute + timedelta(minutes=i) for i in range(4)]  # the 5th is forming
            r.fake.restart(0.2)
            await r.until(lambda: r.session.reconnects == 1 and r.session.ready, timeout=5)
            await r.until(lambda: len(r.fake.subscriptions("tbt")) == 1 and len(r.fake.subscriptions("hist")) == 1)
            r.fake.push_trade("SPY", 605.0, 10, ts=T0)
            await r.until(lambda: len(r.of(Tick)) == 1)
            assert r.of(Tick)[0].price == 605.0
            await r.until(lambda: len(bars) == 5)  # the trade closed the forming 14:54 bar on the restored series
            assert [b.start for b in bars] == [minute + timedelta(minutes=i) for i in range(5)]  # none twice
            assert (bars[4].open, bars[4].close, bars[4].source) == (604, 604.5, "ibkr")
            runner.cancel()

    asyncio.run(main())


def test_the_live_run_feed_starts_and_stops_every_stream() -> None:
    async def main() -> None:
        async with rig() as r:
            got: list[Tick | Quote | Bar] = []
            await r.md.start(["AAPL", "MSFT"], got.append)
            await r.until(lambda: len(r.fake.subscriptions("tbt")) == 2 and len(r.fake.subscriptions("mkt")) == 2)
            r.fake.push_trade("MSFT", 410.0, 5, ts=T0)
            await r.until(lambda: any(isinstance(e, Tick) for e in got))
            assert r.events == []  # the live run's handler replaced the one given at construction
            await r.md.stop()
            await r.until(lambda: not r.fake.subscriptions("tbt") and not r.fake.subscriptions("mkt"))

    asyncio.run(main())
