"""Metrics of a known equity curve and known trades."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal

import numpy as np
import pytest

from tests.unit.node.helpers import MIN, bars
from tests.unit.node.helpers import T0 as BAR0
from theo.analysis.metrics import EquityCurve, compute_metrics, equity_curve
from theo.core.time import from_us
from theo.model.enums import Side
from theo.model.events import Charges, Execution
from theo.model.trades import ExitReason, Trade

DAY = 86_400_000_000
T0 = 1_549_918_800_000_000  # 2019-02-11 21:00 UTC (16:00 New York)
D = Decimal


def trade(side: Side, entry: str, exit_: str, charges: str = "0") -> Trade:
    ts = datetime.fromisoformat("2019-02-11T15:00:00+00:00")
    t = Trade("s", "AAA", side, D(10), "e")
    t.add_entry_fill(D(10), D(entry), D(charges), ts)
    t.add_exit_fill(D(10), D(exit_), D(0), ts)
    t.close(ExitReason.MANUAL, ts)
    return t


def fill(exec_id: str, side: Side, price: str, at_us: int) -> Execution:
    return Execution(exec_id, exec_id, "AAA", side, D(10), D(price), from_us(at_us), Charges(commission=D(1)))


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
    still_open = Trade("s", "AAA", Side.BUY, D(10), "e4")
    still_open.add_entry_fill(D(10), D(10), D(0), datetime.fromisoformat("2019-02-11T15:00:00+00:00"))
    trades.append(still_open)  # an open trade counts as a trade, not in the closed statistics
    curve = EquityCurve(np.array([T0], dtype=np.int64), np.array([100.0]), np.array([False]))
    m = compute_metrics(Decimal(100), curve, trades, [])
    assert m["win_rate"] == pytest.approx(2 / 3)
    assert m["profit_factor"] == pytest.approx(49 / 10)
    assert m["expectancy"] == pytest.approx(39 / 3)
    assert (m["trades"], m["closed_trades"], m["open_trades"]) == (4, 3, 1)


def test_equity_curve_marks_positions_to_the_close_and_pays_charges() -> None:
    s = bars("AAA", [(10, 10, 10, 10), (10, 11, 10, 11), (11, 12, 11, 12), (12, 12, 12, 12)])
    buy = fill("1", Side.BUY, "10", BAR0 + MIN)  # at the open of bar 1: stamped with its start
    sell = fill("2", Side.SELL, "12", BAR0 + 3 * MIN)
    curve = equity_curve(D(1000), {"AAA": s}, [buy, sell])
    assert curve.equity.tolist() == [1000.0, 1009.0, 1019.0, 1018.0]
    assert curve.in_market.tolist() == [False, True, True, False]


def test_a_fill_stamped_with_a_bar_end_counts_from_the_next_bar() -> None:
    s = bars("AAA", [(10, 10, 10, 10), (10, 11, 10, 11), (11, 12, 11, 12), (12, 12, 12, 12)])
    stop = fill("1", Side.BUY, "10.5", BAR0 + 2 * MIN)  # inside bar 1's range: stamped with its end
    curve = equity_curve(D(1000), {"AAA": s}, [stop])
    assert curve.equity.tolist() == [1000.0, 1000.0, 1014.0, 1014.0]  # -105 - 1 + 10 x 12 from bar 2 on
    assert curve.in_market.tolist() == [False, False, True, True]
