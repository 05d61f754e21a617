"""The split watch of a running node: it applies a stored split at the first event of its ex-date, picks up a
split imported while the run is live at the next day, warns about one imported too late, and leaves alone
the splits a live run's adjusted warm-up history already contains."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine
from structlog.testing import capture_logs

from theo.config import TheoConfig
from theo.core.calendar import ET
from theo.model.enums import CorporateActionKind
from theo.model.market import Bar
from theo.model.reference import CorporateAction
from theo.model.signals import Signal
from theo.node.kernel import Mode, Node, build_node
from theo.node.raw_splits import watch_splits
from theo.persistence.repositories.corporate_actions import CorporateActionRepository
from theo.strategy.base import Strategy
from theo.strategy.library.donchian import DonchianBreakout

CFG = TheoConfig.model_validate({"strategies": [{"type": "donchian_breakout", "name": "don", "symbols": ["AAA"],
                                                 "timeframe": "1m", "entry_period": 3, "exit_period": 2}]})
MON, TUE, WED = date(2024, 3, 4), date(2024, 3, 5), date(2024, 3, 6)


def _node() -> Node:
    node = build_node(CFG, Mode.BACKTEST, start=datetime(2024, 3, 1, tzinfo=UTC))
    strategy = node.strategies[0]
    t = datetime(2024, 3, 4, 9, 30, tzinfo=ET)
    for k, price in enumerate([100.0, 102.0, 104.0]):
        start = t + timedelta(minutes=k)
        strategy.on_bar(Bar("AAA", "1m", start, start + timedelta(minutes=1), price, price + 1, price - 1, price,
                            500.0))
    return node


def _split(ex: date, ratio: str = "2", kind: CorporateActionKind = CorporateActionKind.SPLIT) -> CorporateAction:
    return CorporateAction("AAA", kind, ex, ratio=Decimal(ratio), source="csv")


def _day(node: Node, day: date) -> None:
    node.advance(datetime(day.year, day.month, day.day, 4, 0, tzinfo=ET))


def _highs(node: Node) -> list[float]:
    strategy = node.strategies[0]
    assert isinstance(strategy, DonchianBreakout)
    return strategy._state["AAA"].highs


def test_a_split_imported_while_running_is_applied_on_its_ex_date(sqlite_engine: Engine) -> None:
    node, store = _node(), CorporateActionRepository(sqlite_engine)
    watch = watch_splits(node, store)
    _day(node, MON)
    store.save_actions([_split(WED)])  # `theo data actions import` in another process
    with capture_logs() as logs:
        _day(node, TUE)
        assert _highs(node) == [101.0, 103.0, 105.0]  # not yet: Tuesday is still on the old basis
        _day(node, WED)
    assert _highs(node) == [50.5, 51.5, 52.5]
    assert watch.applied == ["AAA 2024-03-06 x0.5"]
    assert [(e["event"], e.get("symbol"), e.get("factor"), e.get("ex_date")) for e in logs] == [
        ("split.applied", "AAA", 0.5, "2024-03-06")]


def test_a_reverse_split_over_a_weekend_multiplies_the_prices(sqlite_engine: Engine) -> None:
    node, store = _node(), CorporateActionRepository(sqlite_engine)
    store.save_actions([_split(date(2024, 3, 9), "0.25", CorporateActionKind.REVERSE_SPLIT)])  # a Saturday
    watch_splits(node, store)
    _day(node, date(2024, 3, 8))
    _day(node, date(2024, 3, 11))  # the run's next day is Monday: the split lies between
    assert _highs(node) == [404.0, 412.0, 420.0]


def test_a_split_imported_after_its_ex_date_is_reported_not_applied(sqlite_engine: Engine) -> None:
    node, store = _node(), CorporateActionRepository(sqlite_engine)
    watch_splits(node, store)
    _day(node, MON)
    _day(node, TUE)
    store.save_actions([_split(TUE)])
    with capture_logs() as logs:
        _day(node, WED)
    assert _highs(node) == [101.0, 103.0, 105.0]
    assert [(e["event"], e["log_level"], e["ex_date"]) for e in logs] == [("split.missed", "warning", "2024-03-05")]


def test_a_live_run_leaves_the_splits_of_its_adjusted_history_alone(sqlite_engine: Engine) -> None:
    node, store = _node(), CorporateActionRepository(sqlite_engine)
    store.save_actions([_split(TUE)])
    watch = watch_splits(node, store, since=TUE)  # warm-up history up to Tuesday is adjusted
    _day(node, MON)
    _day(node, TUE)
    _day(node, WED)
    assert _highs(node) == [101.0, 103.0, 105.0]
    assert watch.applied == []


class _Opaque(Strategy):
    name = "opaque"

    @property
    def subscriptions(self) -> Sequence[tuple[str, str]]:
        return [("AAA", "1m")]

    def on_bar(self, bar: Bar) -> Sequence[Signal]:
        return ()

    def reset(self) -> None:
        return None


def test_a_strategy_that_cannot_rescale_is_named_in_a_warning(sqlite_engine: Engine) -> None:
    node = build_node(CFG, Mode.BACKTEST, start=datetime(2024, 3, 1, tzinfo=UTC), strategies=[_Opaque()])
    store = CorporateActionRepository(sqlite_engine)
    store.save_actions([_split(TUE)])
    watch_splits(node, store)
    with capture_logs() as logs:
        _day(node, MON)
        _day(node, TUE)
    assert [(e["event"], e.get("strategies")) for e in logs] == [("split.applied", None),
                                                                 ("split.not_applied", ["opaque"])]
