"""What a trader expects of one engine, end to end through the backtest driver (and so through theo run)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import numpy as np

from tests.unit.node.helpers import MIN, session_minutes, session_walk
from theo.config import TheoConfig
from theo.core.calendar import ET
from theo.core.time import to_us
from theo.model.enums import SignalStatus
from theo.model.series import BarSeries
from theo.node.backtest import run_backtest
from theo.node.data import MarketData

INTRADAY = {"type": "donchian_breakout", "name": "d", "symbols": ["AAA"], "timeframe": "1m", "entry_period": 5,
            "exit_period": 3, "quantity": "100"}


def _config(**risk_trade: Any) -> TheoConfig:
    return TheoConfig.model_validate({"risk": {"trade": risk_trade, "account": {"pdt_policy": "none"}},
                                      "strategies": [INTRADAY]})


def test_an_intraday_strategy_never_holds_overnight_and_sends_no_entry_after_the_cut_off() -> None:
    data = MarketData({"AAA": session_walk(3 * 390, 4, first_day="2026-11-30")}, "bars")
    result = run_backtest(_config(time_exit="15:55:00"), data)
    trades = [t for t in result.trades() if t.entry_qty > 0]
    assert len(trades) > 20
    for t in trades:
        assert t.entry_ts is not None
        assert t.exit_ts is not None
        assert t.entry_ts.astimezone(ET).date() == t.exit_ts.astimezone(ET).date(), t
        assert t.exit_ts.astimezone(ET).time() <= time(15, 56)
    late = [o for o in result.signals() if not o.signal.exit and o.signal.ts.astimezone(ET).time() >= time(15, 55)]
    assert late, "the walk should signal after 15:55 too"
    assert all(o.status is SignalStatus.CANCELLED and "after the time exit 15:55 ET" in o.note for o in late)


def test_a_market_order_fills_at_the_next_bar_open_stamped_with_that_bar_start() -> None:
    s = session_walk(400, 8, first_day="2026-12-01")
    result = run_backtest(_config(time_exit="none"), MarketData({"AAA": s}, "bars"))
    fills = result.fills()
    assert fills
    for ex in fills:
        us = to_us(ex.ts)
        i = int(np.searchsorted(s.start_us, us))
        assert s.start_us[i] == us, "a market fill is stamped with the start of the bar whose open it used"
        assert float(ex.price) == s.open[i]
    for o in result.orders():
        if o.fills:  # sent at a bar's close (= the next bar's start): the first open at or after it
            assert o.fills[0].ts >= o.created_at
            assert int(np.searchsorted(s.start_us, to_us(o.created_at))) == \
                int(np.searchsorted(s.start_us, to_us(o.fills[0].ts)))


def test_no_fill_on_a_holiday_or_after_an_early_close_and_the_data_there_is_reported() -> None:
    # Regular minutes of 2026-11-25 and 2026-11-27 (13:00 close), plus made-up bars on Thanksgiving
    # (2026-11-26, closed) and after the early close (13:00-14:00 ET, post-market).
    days = session_minutes(390 + 210, "2026-11-25")
    thanksgiving = to_us(datetime(2026, 11, 26, 14, 30, tzinfo=UTC)) + np.arange(60) * MIN
    late = to_us(datetime(2026, 11, 27, 18, 0, tzinfo=UTC)) + np.arange(60) * MIN
    ts = np.sort(np.concatenate((days, thanksgiving, late)))
    n = len(ts)
    rng = np.random.default_rng(3)
    close = np.round(100 * np.exp(np.cumsum(rng.normal(0, 0.002, n))), 2)
    open_ = np.concatenate(([100.0], close[:-1]))
    s = BarSeries("AAA", "1m", ts, ts + MIN, open_, np.maximum(open_, close) + 0.02,
                  np.minimum(open_, close) - 0.02, close, np.full(n, 100.0))
    result = run_backtest(_config(time_exit="none"), MarketData({"AAA": s}, "bars"))
    assert result.fills()
    for ex in result.fills():
        local = ex.ts.astimezone(ET)
        assert local.date().isoformat() != "2026-11-26"
        assert not (local.date().isoformat() == "2026-11-27" and local.time() >= time(13, 0)), ex
    notes = " ".join(result.notes)
    assert "60 items outside every session" in notes
    assert "60 pre- or post-market items" in notes
    assert (result.tradable, result.path) == (n - 60, "skip-ahead")
    every = run_backtest(_config(time_exit="none"), MarketData({"AAA": s}, "bars"), visit_all=True)
    assert (every.visited, every.path) == (n - 60, "every item")  # the holiday's items are never shown
