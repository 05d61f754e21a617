"""Polygon's payload mapping: sale-condition eligibility, times, exchanges, aggregates, the API key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from theo.adapters.polygon.config import PolygonConfig
from theo.adapters.polygon.errors import PolygonAuthError
from theo.adapters.polygon.parsing import (
    TRADE_CONDITIONS,
    bar_span,
    condition_of,
    epoch_utc,
    exchange_of,
    quote_of,
    tick_of,
    timeframe_of,
    trades_in,
)
from theo.core.bus import InMemoryBus
from theo.core.calendar import get_calendar
from theo.core.clock import SimulatedClock
from theo.data.bars.aggregator import BarAggregator
from theo.model.market import Bar

T0 = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)  # 10:00 ET, regular session


@pytest.mark.parametrize(("codes", "expected"), [
    (None, ""), ([], ""), ([0], ""), ([14], ""), ([14, 41], ""), ([8], ""), ([25], ""),  # regular prints
    ([37], "p37"), ([14, 37], "p37"), ([12], "p12"), ([12, 14, 37], "p12,37"),  # odd lot, Form T
    ([2], "p2"), ([53], "p53"), ([33], "p33"), ([10], "p10"),  # average price, QCT, out of sequence
    ([15], None), ([16], None), ([14, 16], None), ([38], None), ([44], None),  # official open/close, cancel
    ([99], "p99"),  # a code Theo does not know: volume only, never OHLC
    ([2, 7, 12, 13, 20, 21, 37], "p2,7,12,13,20+"),  # more than the store's 16 characters
])
def test_conditions_map_to_regular_volume_only_or_not_a_trade(codes: list[int] | None, expected: str | None) -> None:
    assert condition_of(codes) == expected


def test_every_known_code_follows_its_update_rules() -> None:
    for code, rule in TRADE_CONDITIONS.items():
        got = condition_of([code])
        if not rule.volume:
            assert got is None, rule.name
        elif rule.high_low and rule.last:
            assert got == "", rule.name
        else:
            assert got == f"p{code}", rule.name


def test_the_bar_aggregator_takes_polygon_prints_by_their_rules() -> None:
    """Regular prints set OHLC; an odd lot and a Form T print add volume only, as for IBKR prints."""
    cal = get_calendar()
    bars: list[Bar] = []
    agg = BarAggregator(["1m"], lambda _s: cal, InMemoryBus(), SimulatedClock(T0), timedelta(0),
                        on_bar=bars.append, schedule_timers=False)
    prints = [(100.0, 100, [0]), (101.0, 100, [14]), (150.0, 7, [37]), (60.0, 200, [12, 37]), (100.5, 100, None)]
    for i, (px, size, codes) in enumerate(prints):
        tick = tick_of("SPY", int((T0 + timedelta(seconds=i)).timestamp() * 1000), px, size, exchange_id=12,
                       conditions=codes, sequence=i, trade_id=str(i), received=None)
        assert tick is not None
        agg.on_tick(tick)
    agg.on_time(T0 + timedelta(minutes=1, seconds=1))
    [bar] = [b for b in bars if b.timeframe == "1m"]
    assert (bar.open, bar.high, bar.low, bar.close) == (100.0, 101.0, 100.0, 100.5)
    assert bar.volume == 507  # every print's volume


def test_a_trade_keeps_its_exchange_time_sequence_and_ids() -> None:
    received = T0 + timedelta(milliseconds=40)
    tick = tick_of("msft", 1536036818784, 114.125, 100, exchange_id=4, conditions=[0, 12], sequence=3681328,
                   trade_id="12345", received=received)
    assert tick is not None
    assert tick.symbol == "MSFT"
    assert tick.source == "polygon"
    assert tick.ts == datetime(2018, 9, 4, 4, 53, 38, 784000, tzinfo=UTC)
    assert (tick.price, tick.size, tick.exchange, tick.condition) == (114.125, 100.0, "FINRA", "p12")
    assert tick.trade_id == "3681328:4:12345"
    assert tick.received == received
    frac = tick_of("MSFT", 1536036818784, 114.1, 0, exchange_id=12, conditions=None, sequence=1, trade_id="1",
                   received=None, fractional="0.25")
    assert frac is not None
    assert frac.size == 0.25


def test_a_quote_has_sizes_in_shares() -> None:
    q = quote_of("MSFT", 1536036818784, 114.125, 1, 114.128, 1.6, lot_shares=100, received=None)
    assert (q.bid, q.bid_size, q.ask, q.ask_size, q.source) == (114.125, 100.0, 114.128, 160.0, "polygon")


@given(st.integers(min_value=10**12, max_value=4 * 10**12))
def test_epoch_units_are_read_by_magnitude(ms: int) -> None:
    expected = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    assert epoch_utc(ms) == expected
    assert epoch_utc(ms * 1_000) == expected
    assert epoch_utc(ms * 1_000_000) == expected
    assert epoch_utc(ms // 1000) == datetime.fromtimestamp(ms // 1000, UTC)
    assert epoch_utc(ms).tzinfo is UTC


def test_exchanges_timeframes_and_spans() -> None:
    assert [exchange_of(x) for x in (12, 11, 10, 19, 999, None)] == ["NASDAQ", "ARCA", "NYSE", "BATS", "999", ""]
    assert [timeframe_of(s, m) for s, m in (("minute", 1), ("minute", 5), ("minute", 30), ("second", 5))] \
        == ["1m", "5m", "30m", "5s"]
    for span, mult in (("hour", 1), ("day", 1), ("week", 1), ("minute", 7), ("minute", 60), ("second", 7)):
        with pytest.raises(ValueError, match=r"divisor|second or minute"):
            timeframe_of(span, mult)
    assert bar_span(T0, "5m") == (T0, T0 + timedelta(minutes=5))
    assert bar_span(T0, "15s") == (T0, T0 + timedelta(seconds=15))
    assert trades_in(4110, 685) == 6
    assert trades_in(0, 10) == 0
    assert trades_in(100, None) == 0


def test_the_key_comes_from_the_environment_and_a_missing_one_names_the_variable(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POLYGON_API_KEY", raising=False)
    monkeypatch.delenv("MASSIVE_API_KEY", raising=False)
    cfg = PolygonConfig(api_key_env="MY_POLY_KEY")
    monkeypatch.delenv("MY_POLY_KEY", raising=False)
    with pytest.raises(PolygonAuthError, match=r"MY_POLY_KEY.*MASSIVE_API_KEY"):
        cfg.api_key()
    monkeypatch.setenv("MASSIVE_API_KEY", "from-massive")
    assert cfg.api_key() == "from-massive"
    assert cfg.key_source() == "MASSIVE_API_KEY"
    monkeypatch.setenv("MY_POLY_KEY", " secret ")
    assert cfg.api_key() == "secret"
    assert cfg.key_source() == "MY_POLY_KEY"


def test_config_refuses_unknown_channels_and_urls() -> None:
    with pytest.raises(ValueError, match="unknown channel"):
        PolygonConfig(channels=["T", "LULD"])
    with pytest.raises(ValueError, match="not a URL"):
        PolygonConfig(ws_url="socket.massive.com")
    cfg = PolygonConfig(ws_url="ws://127.0.0.1:9000/", channels=["t", "am"])
    assert (cfg.ws_host, cfg.ws_secure, cfg.channels) == ("127.0.0.1:9000", False, ["T", "AM"])
    assert PolygonConfig().ws_secure


@given(st.lists(st.integers(min_value=0, max_value=70) | st.sampled_from([2, 7, 12, 13, 20, 21, 37, 47, 52, 53]),
                max_size=8))
def test_a_print_is_as_restricted_as_its_most_restrictive_code(codes: list[int]) -> None:
    """Order and repeats do not matter; one no-volume code makes it no trade; one limiting code takes OHLC away;
    a regular code never changes the verdict."""
    got = condition_of(codes)
    assert condition_of(list(reversed(codes)) + codes) == got
    rules = [TRADE_CONDITIONS.get(c) for c in codes]
    if any(r is not None and not r.volume for r in rules):
        assert got is None
    elif all(r is not None and r.high_low and r.last for r in rules):
        assert got == ""
    else:
        assert got is not None
        assert got.startswith("p")
        assert len(got) <= 16  # fits the store's condition column
    assert condition_of([*codes, 0, 14]) == got
