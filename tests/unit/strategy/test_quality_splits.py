"""A split is not a crash: the settlement gate rebases the previous close over a split left in raw bars, and
the correlation strategy keeps the splits it was given across resets; a paper/live run gives the stored ones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from tests.unit.strategy.test_quality import MIN, bar
from theo.config import TheoConfig
from theo.model.enums import CorporateActionKind
from theo.model.reference import CorporateAction
from theo.node.kernel import Mode, build_node
from theo.node.raw_splits import watch_splits
from theo.strategy.library.correlation import CorrelationStrategy
from theo.strategy.library.correlation_config import CorrelationStrategyConfig, QualitySettings
from theo.strategy.quality import QualityGate

FRI = datetime(2014, 6, 6, 19, 59, tzinfo=UTC)  # 15:59 New York, the last minute before AAPL's 7:1 split
MON = datetime(2014, 6, 9, 13, 30, tzinfo=UTC)  # 09:30 on the ex-date
SPLIT = (date(2014, 6, 9), 1 / 7)


def _split_day(g: QualityGate) -> str:
    g.update(bar("AAPL", FRI, 645.57))
    g.update(bar("AAPL", MON, 92.70))
    return g.check(MON + MIN, {"AAPL"}).describe()


def test_the_split_day_passes_with_the_split_and_fails_without_it() -> None:
    assert _split_day(QualityGate(("AAPL",), QualitySettings(), MIN, {"AAPL": [SPLIT]})) == "ok"
    assert _split_day(QualityGate(("AAPL",), QualitySettings(), MIN)) == \
        "settlement:AAPL:85.6% from previous close 645.57"


def test_a_real_crash_on_the_ex_date_still_fails() -> None:
    g = QualityGate(("AAPL",), QualitySettings(), MIN, {"AAPL": [SPLIT]})
    g.update(bar("AAPL", FRI, 645.57))
    g.update(bar("AAPL", MON, 60.0))  # 35 % below the split-adjusted close of 92.22
    assert g.check(MON + MIN, {"AAPL"}).describe().startswith("settlement:AAPL:34.9% from previous close 92.2")


def test_the_correlation_strategy_keeps_its_splits_across_a_reset() -> None:
    s = CorrelationStrategy(CorrelationStrategyConfig(name="c", primary="AAPL", correlated=[{"symbol": "MSFT"}],
                                                      timeframe="1m"))
    s.use_raw_splits({"AAPL": [SPLIT]})
    s.reset()
    assert s.raw_splits == {"AAPL": [SPLIT]}


class _Store:
    def save_actions(self, actions: object) -> int:
        return 0

    def actions(self, symbol: str, start: date | None = None, end: date | None = None) -> list[CorporateAction]:
        if symbol != "AAPL":
            return []
        return [CorporateAction("AAPL", CorporateActionKind.SPLIT, date(2014, 6, 9), ratio=Decimal(7), source="csv"),
                CorporateAction("AAPL", CorporateActionKind.SPLIT, date(2014, 6, 9), ratio=Decimal(7), source="ibkr"),
                CorporateAction("AAPL", CorporateActionKind.CASH_DIVIDEND, date(2014, 8, 7), amount=Decimal("0.47"))]


def test_a_running_node_gives_its_strategies_the_stored_splits_once() -> None:
    cfg = TheoConfig.model_validate({"strategies": [{"type": "correlation", "name": "c", "primary": "AAPL",
                                                     "correlated": [{"symbol": "MSFT"}], "timeframe": "1m"}]})
    node = build_node(cfg, Mode.BACKTEST, start=FRI - timedelta(days=1))
    assert watch_splits(node, _Store()).splits == {"AAPL": [(date(2014, 6, 9), 1 / 7)]}
    [strategy] = node.strategies
    assert isinstance(strategy, CorrelationStrategy)
    assert strategy.raw_splits == {"AAPL": [SPLIT]}


def test_a_gate_rescaled_on_the_ex_date_does_not_apply_the_split_twice() -> None:
    crossing = QualityGate(("AAPL",), QualitySettings(), MIN, {"AAPL": [SPLIT]})
    crossing.update(bar("AAPL", FRI, 645.57))
    crossing.apply_split("AAPL", SPLIT[0], SPLIT[1])  # a running session reached the ex-date
    assert crossing.symbols["AAPL"].splits == []
    crossing.update(bar("AAPL", MON, 60.0))
    adjusted = QualityGate(("AAPL",), QualitySettings(), MIN)
    adjusted.update(bar("AAPL", FRI, 645.57 * SPLIT[1]))
    adjusted.update(bar("AAPL", MON, 60.0))
    assert crossing.symbols["AAPL"].previous_close == adjusted.symbols["AAPL"].previous_close == 645.57 * SPLIT[1]
    assert crossing.check(MON + MIN, {"AAPL"}).describe() == adjusted.check(MON + MIN, {"AAPL"}).describe() \
        == "settlement:AAPL:34.9% from previous close 92.22428571428571"
