"""The batch path and the streaming path give identical signals, orders, fills and trades on real data."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import shared_file
from theo.config import TheoConfig
from theo.node.backtest import BacktestResult, run_backtest
from theo.node.config import DataFile
from theo.node.data import load_files


def fingerprint(r: BacktestResult) -> dict[str, Any]:
    j = r.journal
    return {
        "signals": [(s.signal, s.status, s.note) for s in j.all_signals()],
        "orders": sorted((o.id, o.created, o.side, o.quantity, o.purpose, o.status, o.filled, o.fill_price,
                          o.charges, o.fill_index) for o in j.orders),
        "trades": sorted((t.id, t.side, t.entry_ts, t.entry_price, t.exit_ts, t.exit_price, t.exit_reason,
                          t.charges) for t in j.trades),
    }


def both(config: dict[str, Any], files: list[str], **dates: Any) -> tuple[BacktestResult, BacktestResult]:
    cfg = TheoConfig.model_validate({"engine": {"execution": "fast"}, **config})  # the vectorised books
    data = load_files([DataFile(path=shared_file(f)) for f in files], **dates)
    return run_backtest(cfg, data, fast=True), run_backtest(cfg, data, fast=False)


EQKER = ["eqker/SPY_1min_2019-02-11_2019-02-15.csv.gz", "eqker/QQQ_1min_2019-02-11_2019-02-15.csv.gz",
         "eqker/VXXB_1min_2019-02-11_2019-02-15.csv.gz"]


@pytest.mark.parametrize("timeframe", ["1m", "5m", "15m"])
def test_batch_equals_streaming_on_the_eqker_week(timeframe: str) -> None:
    config = {"strategies": [
        {"type": "donchian_breakout", "name": "don", "symbols": ["SPY", "QQQ"], "timeframe": timeframe,
         "entry_period": 20, "exit_period": 10, "stop_loss_pct": 0.4, "take_profit_pct": 0.8, "trail_pct": 0.3},
        {"type": "zscore_reversion", "name": "z", "symbols": ["VXXB", "SPY"], "timeframe": timeframe,
         "lookback": 30, "stop_loss_pct": 1.0},
    ]}
    fast, slow = both(config, EQKER)
    assert (fast.path, slow.path) == ("batch", "stream")
    assert len(fast.journal.trades) > 5
    assert fingerprint(fast) == fingerprint(slow)


def test_batch_equals_streaming_on_aapl_msft_with_a_tight_leverage_limit() -> None:
    # max_leverage 0.15 of 100k = 15k: only one ~10k position at a time, so books interact through the check
    config = {"engine": {"max_leverage": "0.15"}, "strategies": [
        {"type": "donchian_breakout", "name": "don", "symbols": ["AAPL", "MSFT"], "timeframe": "5m",
         "quantity": "100", "entry_period": 12, "exit_period": 6, "trail_pct": 0.5}]}
    fast, slow = both(config, ["react-stockcharts/AAPL_1min_2016-04-15_2016-05-13.csv.gz",
                               "react-stockcharts/MSFT_1min_2016-04-15_2016-05-13.csv.gz"])
    assert any(s.status == "FAILED" for s in fast.journal.signals), "the limit should refuse some entries"
    assert fingerprint(fast) == fingerprint(slow)


def test_batch_equals_streaming_on_trade_ticks_managed_on_every_tick() -> None:
    from datetime import date

    config = {"strategies": [{"type": "donchian_breakout", "name": "don", "symbols": ["IBM"], "timeframe": "1m",
                              "entry_period": 15, "exit_period": 8, "trail_pct": 0.1, "take_profit_pct": 0.3}]}
    fast, slow = both(config, ["lean/IBM_trades_tick_2013-10-07_2013-10-11.csv.gz"], start=date(2013, 10, 7),
                      end=date(2013, 10, 8))
    assert fast.data.kind == "ticks"
    assert len(fast.journal.trades) > 5
    assert fingerprint(fast) == fingerprint(slow)
