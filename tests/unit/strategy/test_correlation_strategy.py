"""The correlation strategy on hand-made bars whose swings and correlations are known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from theo.model.enums import Side
from theo.model.market import Bar
from theo.model.signals import Signal
from theo.strategy.library.correlation import CorrelationStrategy, correlation_passes
from theo.strategy.library.correlation_config import CorrelationStrategyConfig

T0 = datetime(2019, 2, 12, 15, 0, tzinfo=UTC)  # 10:00 New York
MIN = timedelta(minutes=1)
# SPY: swing high 103 (bar 3), swing low 99 (bar 7), then breaks above the SH at bar 12.
SPY = [100, 101, 102, 103, 102, 101, 100, 99, 100, 101, 102, 103, 104, 105]
# VIX mirrors SPY: its SL (97, bar 3) breaks at bar 12.
VIX = [200 - c for c in SPY]


def bars(symbol: str, closes: list[float], start: datetime = T0) -> list[Bar]:
    return [Bar(symbol, "1m", start + i * MIN, start + (i + 1) * MIN, c, c + 0.1, c - 0.1, c, 1000.0)
            for i, c in enumerate(closes)]


def config(**kw: Any) -> CorrelationStrategyConfig:
    base: dict[str, Any] = {
        "name": "t", "timeframe": "1m", "primary": "SPY", "correlated": ["VIX"],
        "correlation": {"window": 5, "min_points": 5, "on": "prices", "threshold": 0.9, "sign": "negative"},
        "quality": {"zscore_limit": 50.0},
    }
    base.update(kw)
    return CorrelationStrategyConfig.model_validate(base)


def run(strategy: CorrelationStrategy, *series: list[Bar]) -> list[Signal]:
    merged = sorted((b for s in series for b in s), key=lambda b: (b.end, b.symbol))
    out: list[Signal] = []
    for b in merged:
        out += strategy.on_bar(b)
    return out + strategy.flush()


def test_buy_when_primary_breaks_sh_and_correlated_breaks_sl() -> None:
    signals = run(CorrelationStrategy(config()), bars("SPY", SPY), bars("VIX", VIX))
    assert [(s.side, s.ts) for s in signals] == [(Side.BUY, T0 + 13 * MIN), (Side.BUY, T0 + 14 * MIN)]
    first = signals[0]
    assert first.ts == T0 + 13 * MIN  # the end of bar 12: known only when it closed
    assert first.price == 104
    assert first.inputs["SPY.sh"] == 103.1
    assert first.inputs["SPY.close"] == 104
    assert first.inputs["VIX.sl"] == 96.9
    assert first.inputs["VIX.close"] == 96
    assert first.inputs["SPY.sh_ts"] == (T0 + 3 * MIN).isoformat()
    assert first.inputs["VIX.corr"] is not None
    assert first.inputs["VIX.corr"] <= -0.9
    assert first.inputs["quality"] == "ok"
    # Stop at the primary's SL, target 2R away.
    assert first.stop_loss == 98.9
    assert abs(first.take_profit - (104 + 2 * (104 - 98.9))) < 1e-9  # type: ignore[operator]
    assert "confirmed by VIX" in first.reason


def test_sell_is_the_mirror_image() -> None:
    down = [200 - c for c in SPY]
    signals = run(CorrelationStrategy(config()), bars("SPY", down), bars("VIX", [200 - c for c in down]))
    assert [s.side for s in signals] == [Side.SELL, Side.SELL]
    s = signals[0]
    assert s.inputs["SPY.close"] < s.inputs["SPY.sl"]  # type: ignore[operator]
    assert s.inputs["VIX.close"] > s.inputs["VIX.sh"]  # type: ignore[operator]
    assert s.stop_loss is not None
    assert s.stop_loss > s.price


def test_no_signal_when_the_correlation_sign_is_wrong() -> None:
    cfg = config(correlation={"window": 5, "min_points": 5, "on": "prices", "threshold": 0.9, "sign": "positive"})
    assert run(CorrelationStrategy(cfg), bars("SPY", SPY), bars("VIX", VIX)) == []


def test_min_points_not_reached_blocks_the_signal() -> None:
    cfg = config(correlation={"window": 50, "min_points": 50, "on": "prices", "threshold": 0.9, "sign": "negative"})
    assert run(CorrelationStrategy(cfg), bars("SPY", SPY), bars("VIX", VIX)) == []


def test_entry_rules_and_direction_filters() -> None:
    assert run(CorrelationStrategy(config(entry_rules=["close > 104.5"])), bars("SPY", SPY),
               bars("VIX", VIX))[0].ts == T0 + 14 * MIN
    assert run(CorrelationStrategy(config(allow_long=False)), bars("SPY", SPY), bars("VIX", VIX)) == []


def test_signal_interval_suppresses_repeats_of_a_side() -> None:
    signals = run(CorrelationStrategy(config(signal_interval_seconds=300)), bars("SPY", SPY), bars("VIX", VIX))
    assert [s.ts for s in signals] == [T0 + 13 * MIN]


def test_require_any_versus_all() -> None:
    flat = [50.0 + 0.01 * (i % 2) for i in range(len(SPY))]  # QQQ never breaks a swing
    any_cfg = config(correlated=["VIX", {"symbol": "QQQ", "sign": "abs"}], require="any")
    all_cfg = config(correlated=["VIX", {"symbol": "QQQ", "sign": "abs"}], require="all")
    series = (bars("SPY", SPY), bars("VIX", VIX), bars("QQQ", flat))
    assert len(run(CorrelationStrategy(any_cfg), *series)) == 2
    assert run(CorrelationStrategy(all_cfg), *series) == []


def test_exit_rule_closes_the_last_entry() -> None:
    path = [*SPY, 103.5]
    signals = run(CorrelationStrategy(config(exit_rules=["close < 104"])), bars("SPY", path),
                  bars("VIX", [200 - c for c in path]))
    assert [(s.side, s.exit) for s in signals] == [(Side.BUY, False), (Side.BUY, False), (Side.SELL, True)]
    assert signals[-1].reason == "exit rule: close < 104"
    assert signals[-1].inputs["close"] == 103.5


def test_a_missing_bar_is_evaluated_when_a_later_bar_arrives() -> None:
    vix = bars("VIX", VIX)
    del vix[12]  # VIX's bar 12 never comes
    strategy = CorrelationStrategy(config())
    merged = sorted([*bars("SPY", SPY), *vix], key=lambda b: (b.end, b.symbol))
    seen: list[Signal] = []
    for b in merged:
        seen += strategy.on_bar(b)
    # Bar 12 had no VIX bar: it is evaluated (no signal: VIX cannot confirm) when bar 13 arrives.
    assert [s.ts for s in seen] == [T0 + 14 * MIN]


def test_signals_never_depend_on_later_bars() -> None:
    full = run(CorrelationStrategy(config()), bars("SPY", SPY), bars("VIX", VIX))
    for cut in range(1, len(SPY) + 1):
        prefix = run(CorrelationStrategy(config()), bars("SPY", SPY[:cut]), bars("VIX", VIX[:cut]))
        assert prefix == [s for s in full if s.ts <= T0 + cut * MIN]


def test_reset_gives_the_same_signals_again() -> None:
    strategy = CorrelationStrategy(config())
    first = run(strategy, bars("SPY", SPY), bars("VIX", VIX))
    strategy.reset()
    assert run(strategy, bars("SPY", SPY), bars("VIX", VIX)) == first


def test_subscriptions_cover_every_symbol_and_the_indicator_timeframe() -> None:
    s = CorrelationStrategy(config(indicator_timeframe="5m"))
    assert list(s.subscriptions) == [("SPY", "1m"), ("VIX", "1m"), ("SPY", "5m"), ("VIX", "5m")]


def test_atr_stop_uses_the_indicator() -> None:
    signals = run(CorrelationStrategy(config(stop="atr", atr_period=3, stop_atr_multiple=1.0)),
                  bars("SPY", SPY), bars("VIX", VIX))
    s = signals[0]
    assert s.stop_loss is not None
    assert 102 < s.stop_loss < 104


def test_correlation_passes() -> None:
    assert correlation_passes(-0.8, "negative", 0.7)
    assert not correlation_passes(0.8, "negative", 0.7)
    assert correlation_passes(0.7, "positive", 0.7)
    assert correlation_passes(-0.75, "abs", 0.7)
    assert not correlation_passes(None, "abs", 0.0)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(min_value=-0.02, max_value=0.02, allow_nan=False), min_size=20, max_size=80),
       st.lists(st.floats(min_value=-0.02, max_value=0.02, allow_nan=False), min_size=20, max_size=80),
       st.sampled_from(["all", "any"]))
def test_every_signal_satisfies_the_rules_on_random_walks(a: list[float], b: list[float], require: str) -> None:
    n = min(len(a), len(b))
    spy = [100.0]
    for r in a[:n]:
        spy.append(spy[-1] * (1 + r))
    vix = [20.0]
    for i, r in enumerate(b[:n]):
        vix.append(vix[-1] * (1 - a[i] + r / 2))  # mostly the mirror of SPY, plus noise
    qqq = [50.0 * (s / 100.0) ** 1.1 for s in spy]
    cfg = config(correlated=["VIX", {"symbol": "QQQ", "sign": "positive", "confirm": "same"}], require=require,
                 correlation={"window": 10, "min_points": 5, "on": "returns", "threshold": 0.3},
                 quality={"zscore_limit": 1000.0, "max_settlement_deviation_pct": None})
    strategy = CorrelationStrategy(cfg)
    signals = run(strategy, bars("SPY", spy), bars("VIX", vix), bars("QQQ", qqq))
    assert len({s.key for s in signals}) == len(signals)
    for s in signals:
        nan = float("nan")  # a missing value compares False, as in the strategy
        f = {k: (v if isinstance(v, float) else nan) for k, v in s.inputs.items()}
        buy = s.side is Side.BUY
        assert f["SPY.close"] > f["SPY.sh"] if buy else f["SPY.close"] < f["SPY.sl"]
        vix_ok = (f["VIX.close"] < f["VIX.sl"] if buy else f["VIX.close"] > f["VIX.sh"]) and f["VIX.corr"] <= -0.3
        qqq_ok = (f["QQQ.close"] > f["QQQ.sh"] if buy else f["QQQ.close"] < f["QQQ.sl"]) and f["QQQ.corr"] >= 0.3
        assert (vix_ok and qqq_ok) if require == "all" else (vix_ok or qqq_ok)
        assert s.inputs["quality"] == "ok"
    strategy.reset()
    assert run(strategy, bars("SPY", spy), bars("VIX", vix), bars("QQQ", qqq)) == signals
