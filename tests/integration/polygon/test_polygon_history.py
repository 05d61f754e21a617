"""REST backfill through the real ``massive`` client: pagination by next_url, 429 back-off, errors, trades."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta

import pytest

from tests.fakes.polygon import payloads as pl
from tests.fakes.polygon.server import FakePolygon
from tests.integration.polygon.rig import KEY, KEY_ENV, T0, config
from theo.adapters.polygon.errors import PolygonAuthError, PolygonRestError
from theo.adapters.polygon.history import PolygonHistory
from theo.model.enums import SessionKind

PRE = datetime(2024, 3, 4, 13, 0, tzinfo=UTC)  # 08:00 ET, pre-market


def minutes(start: datetime, n: int, base: float = 100.0) -> list[dict[str, object]]:
    return [pl.rest_agg(start + timedelta(minutes=i), base + i, base + i + 0.5, base + i - 0.5, base + i + 0.25,
                       1000 + i, 10 + i) for i in range(n)]


def history(fake: FakePolygon, **changes: object) -> PolygonHistory:
    os.environ[KEY_ENV] = KEY
    return PolygonHistory(config(fake, **changes))


def test_minute_aggregates_follow_next_url_pages_and_keep_the_window() -> None:
    async def go() -> None:
        async with FakePolygon(keys={KEY}) as fake:
            fake.rest.aggs[("SPY", 1, "minute", False)] = minutes(PRE, 3) + minutes(T0, 6, 500.0)
            fake.rest.page_size = 2
            bars = await history(fake).aggregates_async("SPY", PRE, T0 + timedelta(minutes=5))
            reqs = fake.rest.requests
        assert [b.start for b in bars] == [PRE + timedelta(minutes=i) for i in range(3)] + \
            [T0 + timedelta(minutes=i) for i in range(5)]
        first = bars[0]
        assert (first.symbol, first.timeframe, first.end, first.open, first.high, first.low, first.close) == \
            ("SPY", "1m", PRE + timedelta(minutes=1), 100.0, 100.5, 99.5, 100.25)
        assert (first.volume, first.tick_count, first.source, first.flags) == (1000.0, 10, "polygon", frozenset())
        assert first.session is SessionKind.PRE
        assert bars[3].session is SessionKind.REGULAR
        assert len(reqs) == 4  # 8 bars in pages of 2
        assert reqs[0].path == f"/v2/aggs/ticker/SPY/range/1/minute/{pl.ms(PRE)}/{pl.ms(T0 + timedelta(minutes=5)) - 1}"
        assert reqs[0].query["adjusted"] == "false"
        assert reqs[0].query["sort"] == "asc"
        assert all(r.authorized and "cursor" in r.query for r in reqs[1:])

    asyncio.run(go())


def test_adjusted_bars_are_asked_for_explicitly_and_flagged() -> None:
    async def go() -> None:
        async with FakePolygon(keys={KEY}) as fake:
            fake.rest.aggs[("SPY", 1, "minute", True)] = minutes(T0, 2, 50.0)
            fake.rest.aggs[("SPY", 1, "minute", False)] = minutes(T0, 2, 100.0)
            h = history(fake)
            raw = h.aggregates("SPY", T0, T0 + timedelta(minutes=2))
            adj = h.aggregates("SPY", T0, T0 + timedelta(minutes=2), adjusted=True)
            assert [r.query["adjusted"] for r in fake.rest.requests] == ["false", "true"]
        assert [b.open for b in raw] == [100.0, 101.0]
        assert all(not b.flags for b in raw)
        assert [b.open for b in adj] == [50.0, 51.0]
        assert all(b.flags == {"adjusted"} for b in adj)

    asyncio.run(go())


def test_a_429_is_waited_out_and_the_page_asked_again() -> None:
    async def go() -> None:
        async with FakePolygon(keys={KEY}) as fake:
            fake.rest.aggs[("QQQ", 5, "minute", False)] = minutes(T0, 4)
            fake.rest.page_size = 2
            fake.rest.faults = [(429, "0", {"status": "ERROR", "error": "too many requests"})] * 2
            loop = asyncio.get_running_loop()
            began = loop.time()
            bars = await history(fake).aggregates_async("QQQ", T0, T0 + timedelta(hours=1), "minute", 5)
            assert loop.time() - began < 3
            statuses = [r.status for r in fake.rest.requests]
        assert len(bars) == 4
        assert bars[0].timeframe == "5m"
        assert bars[0].end == T0 + timedelta(minutes=5)
        assert statuses == [429, 429, 200, 200]

    asyncio.run(go())


def test_exhausted_retries_and_a_refused_key_are_clear_errors_without_the_key() -> None:
    async def go() -> None:
        async with FakePolygon(keys={KEY}) as fake:
            fake.rest.faults = [(429, "0", {"status": "ERROR", "error": "too many requests"})] * 10
            with pytest.raises(PolygonRestError, match=r"rate limited \(429\) after 2 retries"):
                await history(fake, rest_retries=2).aggregates_async("SPY", T0, T0 + timedelta(minutes=5))
            assert len(fake.rest.requests) == 3
            fake.rest.faults = []
            os.environ[KEY_ENV] = "bad-key-777"
            with pytest.raises(PolygonAuthError) as err:
                await asyncio.to_thread(PolygonHistory(config(fake)).aggregates, "SPY", T0, T0 + timedelta(hours=1))
        assert KEY_ENV in str(err.value)
        assert "bad-key-777" not in str(err.value)

    asyncio.run(go())


def test_empty_windows_and_trades_of_a_window_with_their_socket_ids() -> None:
    async def go() -> None:
        async with FakePolygon(keys={KEY}) as fake:
            ns = pl.ms(T0) * 1_000_000
            fake.rest.trades["SPY"] = [
                {"conditions": [14], "exchange": 11, "id": f"t{i}", "price": 510.0 + i / 100, "sequence_number": 40 + i,
                 "sip_timestamp": ns + i * 250_000_000, "participant_timestamp": ns, "size": 100 + i, "tape": 1}
                for i in range(5)] + [{"conditions": [15], "exchange": 10, "id": "close", "price": 509.0,
                                       "sequence_number": 99, "sip_timestamp": ns + 10**9, "size": 0, "tape": 1}]
            fake.rest.page_size = 2
            h = history(fake)
            assert h.aggregates("SPY", T0, T0 + timedelta(minutes=5)) == []  # no "results" in the body
            ticks = await h.trades_async("SPY", T0, T0 + timedelta(seconds=2))
        assert [t.trade_id for t in ticks] == [f"{40 + i}:11:t{i}" for i in range(5)]  # the official close is left out
        assert ticks[1].ts == T0 + timedelta(milliseconds=250)
        assert ticks[1].price == 510.01
        assert ticks[1].size == 101
        assert all(t.source == "polygon" and t.exchange == "ARCA" and t.condition == "" for t in ticks)

    asyncio.run(go())


def test_a_5xx_is_retried_and_a_server_slower_than_the_timeout_is_a_clear_error() -> None:
    async def go() -> None:
        async with FakePolygon(keys={KEY}) as fake:
            fake.rest.aggs[("SPY", 1, "minute", False)] = minutes(T0, 2)
            fake.rest.faults = [(503, "", {"status": "ERROR", "error": "upstream"})]
            bars = await history(fake).aggregates_async("SPY", T0, T0 + timedelta(minutes=2))
            assert [r.status for r in fake.rest.requests] == [503, 200]
            assert len(bars) == 2
            fake.rest.delay = 0.4
            with pytest.raises(PolygonRestError, match="Read timed out"):
                await history(fake, rest_timeout_seconds=0.1, rest_retries=1).aggregates_async(
                    "SPY", T0, T0 + timedelta(minutes=2))
            fake.rest.delay = 0.0

    asyncio.run(go())
