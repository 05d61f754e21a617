"""The real ``massive`` WebSocket client against the fake Polygon: auth, subscribe, events, every way a session ends."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta

import pytest

from tests.fakes.polygon import payloads as pl
from tests.fakes.polygon.server import FakePolygon
from tests.integration.polygon.rig import KEY, KEY_ENV, T0, config, rig
from theo.adapters.polygon.data import PolygonFeed
from theo.adapters.polygon.errors import PolygonAuthError
from theo.model.enums import SessionKind
from theo.model.market import Bar, Quote, Tick


def run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


def test_auth_and_subscribe_then_trades_quotes_and_minute_bars_arrive_in_utc() -> None:
    async def go() -> None:
        async with rig(("AAPL", "msft")) as r:
            await r.subscribed("AM.MSFT")
            [auth] = r.fake.received("auth")
            assert auth["params"] == KEY
            [sub] = r.fake.received("subscribe")
            assert sorted(sub["params"].split(",")) == ["AM.AAPL", "AM.MSFT", "Q.AAPL", "Q.MSFT", "T.AAPL", "T.MSFT"]
            await r.fake.push([pl.trade("AAPL", T0 + timedelta(milliseconds=784), 170.125, 100, seq=7, exchange=11,
                                       conditions=[14]),
                               pl.quote("MSFT", T0, 410.1, 3, 410.12, 2, seq=8),
                               pl.minute_agg("AAPL", T0, 170.0, 171.5, 169.5, 170.75, 12_000, trades=40),
                               pl.trade("AAPL", T0 + timedelta(seconds=1), 170.2, 30, seq=9, conditions=[37]),
                               pl.trade("AAPL", T0 + timedelta(seconds=2), 170.0, 500, seq=10, conditions=[16])])
            await r.until(lambda: len(r.events) == 4, "four events")
        tick, quote, bar, odd = r.events
        assert isinstance(tick, Tick)
        assert isinstance(quote, Quote)
        assert isinstance(bar, Bar)
        assert isinstance(odd, Tick)
        assert tick.ts == datetime(2024, 3, 4, 15, 0, 0, 784000, tzinfo=UTC)
        assert tick.ts.tzinfo is UTC
        assert (tick.symbol, tick.price, tick.size, tick.exchange, tick.condition, tick.source, tick.trade_id) == \
            ("AAPL", 170.125, 100.0, "ARCA", "", "polygon", "7:11:7")
        assert tick.received is not None
        assert tick.received > tick.ts
        assert (quote.symbol, quote.bid, quote.bid_size, quote.ask, quote.ask_size, quote.ts) == \
            ("MSFT", 410.1, 300.0, 410.12, 200.0, T0)
        assert (bar.timeframe, bar.start, bar.end, bar.open, bar.high, bar.low, bar.close, bar.volume) == \
            ("1m", T0, T0 + timedelta(minutes=1), 170.0, 171.5, 169.5, 170.75, 12_000.0)
        assert bar.tick_count == 40
        assert bar.session is SessionKind.REGULAR
        assert bar.source == "polygon"
        assert odd.condition == "p37"
        assert r.feed.not_trades == {"AAPL": 1}  # the official open (16) is counted, not delivered
        assert r.feed.health().events == 4

    run(go())


def test_a_refused_key_is_a_clear_error_naming_the_variable_and_is_not_retried() -> None:
    async def go() -> None:
        os.environ[KEY_ENV] = "wrong-key-123"
        async with FakePolygon(keys={KEY}) as fake:
            feed = PolygonFeed(config(fake))
            feed.subscribe(["AAPL"])
            with pytest.raises(PolygonAuthError) as err:
                await asyncio.wait_for(feed.serve(lambda e: None, asyncio.Event()), 5)
            assert fake.connects == 1
        text = str(err.value)
        assert f"${KEY_ENV}" in text
        assert "authentication failed" in text
        assert "wrong-key-123" not in text

    run(go())


def test_a_missing_key_names_the_variable_before_any_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    async def go() -> None:
        monkeypatch.delenv(KEY_ENV, raising=False)
        monkeypatch.delenv("MASSIVE_API_KEY", raising=False)
        async with FakePolygon() as fake:
            feed = PolygonFeed(config(fake))
            with pytest.raises(PolygonAuthError, match=KEY_ENV):
                await feed.serve(lambda e: None, asyncio.Event())
            assert fake.connects == 0

    run(go())


@pytest.mark.parametrize("how", ["1011", "tcp_reset", "normal_close", "max_connections"])
def test_the_feed_reconnects_and_subscribes_again_after_the_server_ends_the_session(how: str) -> None:
    async def go() -> None:
        async with rig(("SPY",)) as r:
            await r.subscribed("T.SPY")
            if how == "1011":
                await r.fake.drop(1011)
            elif how == "tcp_reset":
                await r.fake.drop(None)
            elif how == "normal_close":  # massive's connect() returns quietly on 1000: the feed must notice
                await r.fake.close_normally()
            else:
                await r.fake.max_connections()
            await r.subscribed("T.SPY", sessions=2)
            await r.fake.push([pl.trade("SPY", T0, 510.0, 10, seq=1)])
            await r.until(lambda: len(r.events) == 1, "a trade on the new session")
            assert r.feed.health().reconnects == 1
            assert len(r.fake.received("auth")) == 2
            assert len(r.fake.received("subscribe")) == 2
            if how == "max_connections":
                assert r.feed.stats.statuses.get("max_connections") == 1

    run(go())


def test_no_greeting_and_refused_upgrades_time_out_and_are_retried() -> None:
    async def go() -> None:
        async with rig(("SPY",), connect_timeout_seconds=0.3) as r:
            await r.subscribed("T.SPY")
            r.fake.greeting = False
            await r.fake.drop(1011)
            await r.until(lambda: r.fake.connects >= 3, "attempts without a greeting")
            assert not r.feed.health().connected
            assert len(r.fake.received("auth")) == 1  # the client waits for the greeting: nothing sent
            r.fake.refuse(0.5)
            r.fake.greeting = True
            await r.subscribed("T.SPY", sessions=4)

    run(go())


def test_malformed_frames_and_unknown_events_are_counted_and_the_session_goes_on() -> None:
    async def go() -> None:
        async with rig(("SPY",)) as r:
            await r.subscribed("T.SPY")
            await r.fake.send_raw("{not json")
            await r.fake.send_raw('[{"ev":"XX","sym":"SPY"}]')
            await r.fake.push([pl.trade("SPY", T0, 510.0, 10, seq=1)])
            await r.until(lambda: len(r.events) == 1, "the trade after the garbage")
            assert (r.feed.stats.bad_frames, r.feed.stats.unknown_events) == (1, 1)
            assert r.fake.connects == 1

    run(go())


def test_subscribing_and_unsubscribing_while_connected() -> None:
    async def go() -> None:
        async with rig(("SPY",), channels=["T"]) as r:
            await r.subscribed("T.SPY")
            r.feed.subscribe(["qqq"])
            await r.until(lambda: "T.QQQ" in r.fake.subscriptions, "T.QQQ added")
            r.feed.unsubscribe(["SPY"])
            await r.until(lambda: "T.SPY" not in r.fake.subscriptions, "T.SPY removed")
            assert r.fake.received("unsubscribe") == [{"action": "unsubscribe", "params": "T.SPY"}]
            await r.fake.drop(1011)
            await r.subscribed("T.QQQ", sessions=2)
            assert r.fake.received("subscribe")[-1]["params"] == "T.QQQ"
            assert r.feed.subscribed == frozenset({"QQQ"})

    run(go())


def test_a_silent_server_keeps_the_session_and_the_last_event_time_tells_the_supervisor() -> None:
    async def go() -> None:
        async with rig(("SPY",), channels=["T"]) as r:
            await r.subscribed("T.SPY")
            await r.fake.push([pl.trade("SPY", T0, 510.0, 10, seq=1)])
            await r.until(lambda: len(r.events) == 1, "the first trade")
            r.fake.silent = True
            assert await r.fake.push([pl.trade("SPY", T0 + timedelta(seconds=1), 510.1, 10, seq=2)]) == 0
            await asyncio.sleep(0.3)
            health = r.feed.health()
            assert health.connected
            assert health.reconnects == 0
            assert health.last_event_at == T0
            assert health.events == 1

    run(go())


def test_events_iterates_a_served_feed_without_an_event_loop() -> None:
    """``events()`` serves the feed on a thread of its own; stopping the iteration closes the session."""
    async def go() -> None:
        async with FakePolygon(keys={KEY}) as fake:
            os.environ[KEY_ENV] = KEY
            feed = PolygonFeed(config(fake, channels=["T"]))
            feed.subscribe(["SPY"])
            got: list[object] = []

            def consume() -> None:
                for event in feed.events():
                    got.append(event)
                    if len(got) == 2:
                        break

            worker = asyncio.get_running_loop().run_in_executor(None, consume)
            await fake.until(lambda: "T.SPY" in fake.subscriptions, 5, "the thread's subscription")
            await fake.push([pl.trade("SPY", T0, 510.0, 10, seq=1), pl.trade("SPY", T0, 510.5, 5, seq=2)])
            await asyncio.wait_for(worker, 5)
            await fake.until(lambda: not fake.sessions, 5, "the session closed")
        assert [(t.price, t.trade_id) for t in got] == [(510.0, "1:12:1"), (510.5, "2:12:2")]  # type: ignore[attr-defined]

    run(go())
