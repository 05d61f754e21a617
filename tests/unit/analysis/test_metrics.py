"""Metrics of a known equity curve and known trades."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal

import numpy as np
import pytest

from tests.unit.node.helpers import bars
from theo.analysis.metrics import EquityCurve, compute_metrics, equity_curve
from theo.model.enums import Side
from theo.node.records import OrderRecord, TradeRecord

DAY = 86_400_000_000
T0 = 1_549_918_800_000_000  # 2019-02-11 21:00 UTC (16:00 New York)


def trade(side: Side, entry: str, exit_: str, charges: str = "0") -> TradeRecord:
    ts = datetime.fromisoformat("2019-02-11T15:00:00+00:00")
    return TradeRecord("t", "s", "AAA", side, Decimal(10), ts, Decimal(entry), Decimal(charges), 0, exit_ts=ts,
                       exit_price=Decimal(exit_))


def test_drawdown_sharpe_and_returns_of_a_daily_curve() -> None:
    eq = np.array([100.0, 110.0, 99.0, 104.5, 121.0])
    curve = EquityCurve(T0 + np.arange(5, dtype=np.int64) * DAY, eq, np.array([True, True, False, False, True]))
    m = compute_metrics(Decimal(100), curve, [], [])
    assert m["total_return"] == pytest.approx(0.21)
    assert m["max_drawdown"] == pytest.approx(99 / 110 - 1)
    assert m["max_drawdown_duration_bars"] == 2
    assert m["max_drawdown_duration_days"] == pytest.approx(3.0)
    rets = np.array([0.0, 0.1, -0.1, 0.05555555555555555, 0.15789473684210525])
    assert m["sharpe"] == pytest.approx(rets.mean() / rets.std(ddof=1) * math.sqrt(252))
    assert m["sortino"] == pytest.approx(rets.mean() / math.sqrt(np.mean(np.minimum(rets, 0) ** 2)) * math.sqrt(252))
    assert m["exposure"] == pytest.approx(0.6)
    assert m["calmar"] == pytest.approx(m["annual_return"] / abs(m["max_drawdown"]))


def test_trade_statistics() -> None:
    trades = [trade(Side.BUY, "10", "12"), trade(Side.SELL, "10", "11"), trade(Side.BUY, "10", "13", "1")]
    curve = EquityCurve(np.array([T0], dtype=np.int64), np.array([100.0]), np.array([False]))
    m = compute_metrics(Decimal(100), curve, trades, [])
    assert m["win_rate"] == pytest.approx(2 / 3)
    assert m["profit_factor"] == pytest.approx(49 / 10)
    assert m["expectancy"] == pytest.approx(39 / 3)


def test_equity_curve_marks_positions_to_the_close_and_pays_charges() -> None:
    s = bars("AAA", [(10, 10, 10, 10), (10, 11, 10, 11), (11, 12, 11, 12), (12, 12, 12, 12)])
    ts = datetime.fromisoformat("2019-02-11T15:00:00+00:00")
    buy = OrderRecord("1", "s", "AAA", Side.BUY, Decimal(10), "entry", ts, fill_price=Decimal(10),
                      charges=Decimal(1), fill_index=1)
    sell = OrderRecord("2", "s", "AAA", Side.SELL, Decimal(10), "exit-rule", ts, fill_price=Decimal(12),
                       charges=Decimal(1), fill_index=3)
    curve = equity_curve(Decimal(1000), {"AAA": s}, [buy, sell])
    assert curve.equity.tolist() == [1000.0, 1009.0, 1019.0, 1018.0]
    assert curve.in_market.tolist() == [False, True, True, False]
