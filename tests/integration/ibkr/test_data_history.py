"""Historical bars from the fake TWS: values, chunking, client-side pacing and back-off after 162 / 420."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests.fakes.tws import FakeTws
from tests.integration.ibkr.data_support import rig
from theo.adapters.ibkr.errors import IbkrError
from theo.core.errors import ConfigError
from theo.model.enums import SessionKind

DAY1 = datetime(2026, 12, 2, 14, 30, tzinfo=UTC)  # Wed 09:30 ET
DAY2 = datetime(2026, 12, 3, 14, 30, tzinfo=UTC)


def minutes(start: datetime, n: int, base: float) -> list[tuple[datetime, float, float, float, float, float]]:
    return [(start + timedelta(minutes=i), base + i, base + i + 0.5, base + i - 0.5, base + i + 0.25, 100 + i)
            for i in range(n)]


def two_days(fake: FakeTws) -> None:
    fake.set_history("SPY", minutes(DAY1 - timedelta(minutes=2), 5, 600) + minutes(DAY2, 3, 610))


def test_range_is_chunked_by_day_and_bars_carry_values_and_sessions() -> None:
    async def main() -> None:
        async with rig(two_days) as r:
            bars = await r.md.get_historical_data("SPY", "1m", start=DAY1 - timedelta(hours=1),
                                                  end=DAY2 + timedelta(hours=1))
            assert [(b.start, b.open, b.high, b.low, b.close, b.volume) for b in bars[:3]] == [
                (DAY1 - timedelta(minutes=2), 600, 600.5, 599.5, 600.25, 100),
                (DAY1 - timedelta(minutes=1), 601, 601.5, 600.5, 601.25, 101),
                (DAY1, 602, 602.5, 601.5, 602.25, 102)]
            assert [b.session for b in bars[:3]] == [SessionKind.PRE, SessionKind.PRE, SessionKind.REGULAR]
            assert len(bars) == 8
            assert all(b.timeframe == "1m" and b.end - b.start == timedelta(minutes=1) for b in bars)
            assert all(b.source == "ibkr" for b in bars)
            asked = [(q.duration, q.bar_size, q.what_to_show) for q in r.fake.history_requests]
            assert asked == [("1 D", "1 min", "TRADES")] * 2  # one request per ET day

    asyncio.run(main())


def test_the_client_spaces_requests_for_one_contract() -> None:
    async def main() -> None:
        async with rig(two_days) as r:
            r.md.pacer.per_contract, r.md.pacer.contract_window = 2, 0.3
            start = DAY2 - timedelta(hours=9, minutes=30)  # ET midnight
            await r.md.get_historical_data("SPY", "5s", start=start, end=start + timedelta(hours=4))
            times = r.fake.history_request_times
            assert len(times) == 4  # one request per hour of 5-second bars
            assert times[2] - times[0] >= 0.3 - 0.02  # no third request within the window
            assert times[3] - times[1] >= 0.3 - 0.02

    asyncio.run(main())


@pytest.mark.parametrize("code", [162, 420])
def test_pacing_violation_backs_off_and_asks_again(code: int) -> None:
    async def main() -> None:
        async with rig(two_days, pacing_backoff_seconds=0.1) as r:
            r.fake.pacing_violations(2, code=code)
            bars = await r.md.get_historical_data("SPY", "1m", start=DAY2, end=DAY2 + timedelta(minutes=3))
            assert [b.close for b in bars] == [610.25, 611.25, 612.25]
            assert [q.answer for q in r.fake.history_requests] == ["pacing", "pacing", "3 bars"]
            t = r.fake.history_request_times
            assert t[1] - t[0] >= 0.1 - 0.02  # 0.1 s, then doubled
            assert t[2] - t[1] >= 0.2 - 0.02
            assert r.md.history.violations == 2

    asyncio.run(main())


def test_an_unknown_symbol_is_a_clear_error_before_any_history_request() -> None:
    async def main() -> None:
        async with rig() as r:
            with pytest.raises(IbkrError, match="IBKR does not know symbol 'ZZZZQ'"):
                await r.md.get_historical_data("ZZZZQ", "1m", start=DAY2, end=DAY2 + timedelta(minutes=2))
            with pytest.raises(ConfigError, match="bar size '1h' cannot be downloaded"):
                await r.md.get_historical_data("SPY", "1h", start=DAY2, end=DAY2 + timedelta(hours=2))
            assert r.fake.history_requests == []

    asyncio.run(main())
