"""The built-in strategies: streaming and batch forms agree, no look-ahead, config checks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.unit.node.helpers import session_walk, walk
from theo.core.calendar import get_calendar
from theo.model.series import BarSeries
from theo.model.signals import Signal
from theo.node.bars import strategy_bars
from theo.strategy.base import Strategy
from theo.strategy.config import DonchianBreakoutConfig, ZScoreReversionConfig
from theo.strategy.library.donchian import DonchianBreakout
from theo.strategy.library.zscore import ZScoreReversion
from theo.strategy.registry import build_strategies, build_strategy


def streamed(strategy: Strategy, series: BarSeries) -> list[Signal]:
    out: list[Signal] = []
    for i in range(len(series)):
        out.extend(strategy.on_bar(series.bar(i)))
    return out


def donchian(**kw: object) -> DonchianBreakout:
    return DonchianBreakout(DonchianBreakoutConfig.model_validate({"name": "d", "symbols": ["AAA"], **kw}))


def zscore(**kw: object) -> ZScoreReversion:
    return ZScoreReversion(ZScoreReversionConfig.model_validate({"name": "z", "symbols": ["AAA"], **kw}))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 400), entry=st.integers(2, 30), frac=st.floats(0.1, 1.0))
def test_donchian_batch_equals_streaming(seed: int, n: int, entry: int, frac: float) -> None:
    series = walk(n, seed)
    exit_p = max(1, int(entry * frac))
    batch = donchian(entry_period=entry, exit_period=exit_p, stop_loss_pct=1.0).batch_signals({"AAA": series})
    assert batch == streamed(donchian(entry_period=entry, exit_period=exit_p, stop_loss_pct=1.0), series)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 400), lookback=st.integers(3, 40))
def test_zscore_batch_equals_streaming(seed: int, n: int, lookback: int) -> None:
    series = walk(n, seed)
    batch = zscore(lookback=lookback, entry_z=1.5, exit_z=0.3).batch_signals({"AAA": series})
    assert batch == streamed(zscore(lookback=lookback, entry_z=1.5, exit_z=0.3), series)


def test_donchian_signals_do_not_change_when_the_future_changes() -> None:
    full = walk(300, 3)
    cut = full.slice(0, 200)
    a = [s for s in donchian().batch_signals({"AAA": full}) if s.ts <= cut.bar(199).end]
    assert a == donchian().batch_signals({"AAA": cut})
    assert a, "the walk should produce some breakouts"


def test_donchian_long_entry_fires_once_on_the_breakout_bar() -> None:
    series = walk(200, 11)
    sigs = donchian(entry_period=10, exit_period=5, allow_short=False).batch_signals({"AAA": series})
    entries = [s for s in sigs if not s.exit]
    assert entries
    assert all(s.side.value == "BUY" for s in entries)
    for s in entries:
        i = next(k for k in range(len(series)) if series.bar(k).end == s.ts)
        assert series.close[i] > series.high[i - 10:i].max()
        assert not series.close[i - 1] > series.high[i - 11:i - 1].max()


def test_stop_and_target_are_placed_from_the_signal_close() -> None:
    sig = next(s for s in donchian(stop_loss_pct=1.0, take_profit_pct=2.0).batch_signals(
        {"AAA": walk(300, 5)}) if not s.exit)
    sign = 1 if sig.side.value == "BUY" else -1
    assert sig.stop_loss == pytest.approx(sig.price * (1 - sign * 0.01))
    assert sig.take_profit == pytest.approx(sig.price * (1 + sign * 0.02))


def test_batch_signals_of_coarser_timeframe_match_streamed_session_bars() -> None:
    series = session_walk(600, 9)  # 600 session minutes from 2026-11-23 09:30 ET: one day and 210 minutes
    arr = strategy_bars(series, "5m", get_calendar())
    five = BarSeries("AAA", "5m", arr.start_us, arr.end_us, arr.open, arr.high, arr.low, arr.close, arr.volume)
    assert len(five) == 120
    assert donchian(timeframe="5m").batch_signals({"AAA": five}) == streamed(donchian(timeframe="5m"), five)


def test_config_errors_name_the_field() -> None:
    with pytest.raises(ValidationError, match="exit_period=30 must not exceed entry_period=20"):
        DonchianBreakoutConfig(name="d", entry_period=20, exit_period=30)
    with pytest.raises(ValidationError, match=r"exit_z=2\.0 must be below entry_z=1\.0"):
        ZScoreReversionConfig(name="z", entry_z=1.0, exit_z=2.0)


def test_registry_builds_every_type_and_refuses_duplicate_names() -> None:
    d = DonchianBreakoutConfig(name="d")
    z = ZScoreReversionConfig(name="z")
    assert isinstance(build_strategy(d), DonchianBreakout)
    assert isinstance(build_strategy(z), ZScoreReversion)
    assert [s.name for s in build_strategies([d, z])] == ["d", "z"]
    from theo.core.errors import ConfigError

    with pytest.raises(ConfigError, match="used twice"):
        build_strategies([d, DonchianBreakoutConfig(name="d")])
