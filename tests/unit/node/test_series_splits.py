"""The indicator sets kept outside the strategies cross a stored split as the strategies do: the aggregator
service's and the notifier's swing watch's, fed raw bars, hold from the ex-date's first bar on what a fresh
set fed the adjusted bars holds (a 2-for-1 halves every earlier price; a 1-for-4 reverse split multiplies it
by 4: powers of two, so the rescaled floats equal the adjusted ones exactly)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from structlog.testing import capture_logs

from theo.config import TheoConfig
from theo.core.bus.memory import InMemoryBus
from theo.core.calendar import ET
from theo.indicators.registry import IndicatorSet, parse_spec
from theo.model.enums import CorporateActionKind
from theo.model.market import Bar
from theo.model.reference import CorporateAction
from theo.node.notify.swings import SwingWatch
from theo.node.raw_splits import SeriesSplits
from theo.node.services.aggregator import Aggregator
from theo.node.services.runtime import ServiceRuntime
from theo.persistence.repositories.corporate_actions import CorporateActionRepository

MON, TUE, WED = date(2024, 3, 4), date(2024, 3, 5), date(2024, 3, 6)
SPEC = "swing:2:2,fractal:2,atr:3,donchian:4,pivot:classic"
ZIGZAG = [100.0, 104.0, 101.0, 97.0, 102.0, 106.0, 103.0, 99.0, 98.0, 105.0]


def _bars(symbol: str, day: date, closes: list[float], scale: float = 1.0) -> list[Bar]:
    t = datetime(day.year, day.month, day.day, 9, 30, tzinfo=ET)
    out = []
    for k, c in enumerate(closes):
        start = t + timedelta(minutes=5 * k)
        o, h, lo = c - 0.5, c + 1.25, c - 1.75
        out.append(Bar(symbol, "5m", start, start + timedelta(minutes=5), o * scale, h * scale, lo * scale,
                       c * scale, 1000.0 / scale))
    return out


def _raw_and_adjusted(symbol: str, factor: float) -> tuple[list[Bar], list[Bar]]:
    """Two sessions on the old basis, then the ex-date (Wednesday) and after, traded on the new one."""
    before = _bars(symbol, MON, ZIGZAG) + _bars(symbol, TUE, [c + 3 for c in ZIGZAG])
    after = _bars(symbol, WED, [c * factor for c in reversed(ZIGZAG)])
    adjusted = _bars(symbol, MON, ZIGZAG, factor) + _bars(symbol, TUE, [c + 3 for c in ZIGZAG], factor)
    return before + after, adjusted + after


def _split(symbol: str, ex: date, ratio: str, kind: CorporateActionKind) -> CorporateAction:
    return CorporateAction(symbol, kind, ex, ratio=Decimal(ratio), source="csv")


class _Bus(InMemoryBus):
    """NATS's ``publish`` signature (with ``msg_id``) on the in-process bus."""

    def publish(self, topic: str, message: Any, *, msg_id: str | None = None) -> None:
        super().publish(topic, message)


def _aggregator(engine: Engine) -> Aggregator:
    cfg = TheoConfig.model_validate({"services": {"indicators": SPEC, "indicator_timeframes": ["5m"]},
                                     "marketdata": {"bars": {"store": False}}})
    return Aggregator(ServiceRuntime("aggregator", cfg, engine, _Bus()))  # type: ignore[arg-type]


def test_the_aggregator_service_puts_its_indicators_on_a_splits_new_basis(sqlite_engine: Engine) -> None:
    CorporateActionRepository(sqlite_engine).save_actions([_split("AAA", WED, "2", CorporateActionKind.SPLIT)])
    agg = _aggregator(sqlite_engine)
    raw, adjusted = _raw_and_adjusted("AAA", 0.5)
    fresh = IndicatorSet("AAA", "5m", parse_spec(SPEC))
    with capture_logs() as logs:
        for k, (r, a) in enumerate(zip(raw, adjusted, strict=True)):
            agg.on_bar(r)
            fresh.update(a)
            if r.start.astimezone(ET).date() >= WED:
                assert agg.indicators["AAA", "5m"].values() == fresh.values(), k
    values = agg.indicators["AAA", "5m"].values()
    assert values["donchian_4_upper"] == 104.0 / 2 + 1.25
    assert values["swing_2_2_high"] == 106.0 / 2 + 1.25  # Wednesday's own swing high (close 106 / 2)
    assert agg.splits.applied == ["AAA 5m 2024-03-06 x0.5"]
    assert [(e["symbol"], e["factor"], e["ex_date"]) for e in logs if e["event"] == "split.applied"] == [
        ("AAA", 0.5, "2024-03-06")]


def test_the_swing_alerts_put_their_swings_on_a_reverse_splits_new_basis(sqlite_engine: Engine) -> None:
    store = CorporateActionRepository(sqlite_engine)
    store.save_actions([_split("BBB", WED, "0.25", CorporateActionKind.REVERSE_SPLIT)])
    cfg = TheoConfig.model_validate({"strategies": [
        {"type": "correlation", "name": "corr", "primary": "AAA", "correlated": [{"symbol": "BBB", "confirm": "same"}],
         "timeframe": "5m", "swing_left": 2, "swing_right": 2}]})
    watch = SwingWatch.stored(cfg, InMemoryBus(), sqlite_engine)
    raw, adjusted = _raw_and_adjusted("BBB", 4.0)
    fresh = IndicatorSet("BBB", "5m", parse_spec("swing:2:2"))
    for r, a in zip(raw, adjusted, strict=True):
        watch.on_bar(r)
        fresh.update(a)
        if r.start.astimezone(ET).date() >= WED:
            assert watch.sets["BBB", "5m"].values() == fresh.values()
    swing = watch.sets["BBB", "5m"].get("swing_2_2").values()
    assert swing == {"high": 424.0 + 1.25, "low": 388.0 - 1.75}  # Wednesday's own points (closes 424, 388)
    assert watch.sets["AAA", "5m"].last_bar is None  # no AAA bars: nothing to rescale


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(closes=st.lists(st.integers(50, 200), min_size=12, max_size=30), shift=st.integers(-3, 3))
def test_any_path_across_an_ex_date_matches_the_adjusted_one(sqlite_engine: Engine, closes: list[int],
                                                             shift: int) -> None:
    store = CorporateActionRepository(sqlite_engine)
    store.save_actions([_split("CCC", WED, "2", CorporateActionKind.SPLIT)])
    splits = SeriesSplits(store)
    held, fresh = IndicatorSet("CCC", "5m", parse_spec(SPEC)), IndicatorSet("CCC", "5m", parse_spec(SPEC))
    prices = [float(c) for c in closes]
    raw = _bars("CCC", TUE, prices) + _bars("CCC", WED, [(c + shift) / 2 for c in prices])
    adjusted = _bars("CCC", TUE, prices, 0.5) + raw[len(prices):]
    for r, a in zip(raw, adjusted, strict=True):
        splits.before(held, r)
        held.update(r)
        fresh.update(a)
    assert held.values() == fresh.values()
    assert splits.applied == ["CCC 5m 2024-03-06 x0.5"]


def test_a_split_is_applied_once_and_not_before_its_ex_date(sqlite_engine: Engine) -> None:
    store = CorporateActionRepository(sqlite_engine)
    splits = SeriesSplits(store)
    held = IndicatorSet("AAA", "5m", parse_spec("donchian:3"))
    for bar in _bars("AAA", MON, [100.0, 102.0, 104.0]):
        splits.before(held, bar)
        held.update(bar)
    store.save_actions([_split("AAA", WED, "2", CorporateActionKind.SPLIT)])  # imported while running
    for day, closes in ((TUE, [104.0, 102.0]), (WED, [52.0, 53.0]), (date(2024, 3, 7), [53.0])):
        for bar in _bars("AAA", day, closes):
            splits.before(held, bar)
            if day == TUE:
                assert held.values()["donchian_3_upper"] == 105.25  # Tuesday is still on the old basis
            held.update(bar)
    assert held.values()["donchian_3_upper"] == 54.25
    assert splits.applied == ["AAA 5m 2024-03-06 x0.5"]
