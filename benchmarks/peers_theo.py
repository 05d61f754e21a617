"""Theo's side of the peer comparison: the benchmark's config, one backtest call, and its fill list.

``python -m benchmarks.peers_theo <data.npz> <repeat>`` runs like the peer scripts (data loaded into Theo's
MarketData before the timer, then ``run_backtest`` timed, best of ``repeat``). :func:`run_theo` and
:func:`run_theo_ticks` are the same call for in-process use (bench_engine).

The config is the default path with what the benchmark fixes: no commission, no PDT rule, no limit or breaker
that the benchmark would trip, stops and targets only from the signal (Donchian sends none), 100 shares.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.engine_data import load_npz
from benchmarks.peers_common import args, emit, measure
from theo.config import TheoConfig
from theo.core.time import to_us
from theo.node.backtest import BacktestResult, run_backtest
from theo.node.data import MarketData

FillRow = tuple[str, int, str, float, float]  # symbol, UTC µs, BUY/SELL, quantity, price

def theo_config(symbols: Sequence[str] = ("AAA", "BBB")) -> dict[str, Any]:
    """The TheoConfig dict of the benchmark: 20-bar Donchian stop-and-reverse, 100 shares, nothing else."""
    return {
        "market": {"capital": "10000000"},
        "execution": {"commissions": {"schedule": "none"}},
        "risk": {"account": {"pdt_policy": "none",
                             "limits": {"max_active_trades": 1000, "max_trades_per_day": 1000000,
                                        "daily_loss_limit_pct": "none"}},
                 "breakers": {"max_drawdown_pct": "none"},
                 "rate_limit": {"max_orders": 1000000},
                 "trade": {"time_exit": "none", "protective_stop": "signal", "profit_target": "signal"}},
        "strategies": [{"type": "donchian_breakout", "name": "donchian", "symbols": list(symbols),
                        "timeframe": "1m", "entry_period": 20, "exit_period": 20, "quantity": "100"}],
    }


def _us(ts: datetime | int) -> int:
    return ts if isinstance(ts, int) else to_us(ts)


def fills_of(result: BacktestResult) -> list[FillRow]:
    """The fills of a backtest as rows, sorted."""
    return sorted((f.symbol, _us(f.ts), f.side.value, float(f.quantity), float(f.price)) for f in result.fills())


def prepare(data: MarketData) -> Callable[[], BacktestResult]:
    """The backtest call of the benchmark on ``data`` (config validated now, outside any timer)."""
    config = TheoConfig.model_validate(theo_config(data.symbols))
    return lambda: run_backtest(config, data)


def run_theo(data: MarketData) -> tuple[list[FillRow], BacktestResult]:
    """Backtest the benchmark's Donchian on bars; its fills (sorted rows) and the result."""
    result = prepare(data)()
    return fills_of(result), result


def run_theo_ticks(data: MarketData) -> tuple[list[FillRow], BacktestResult]:
    """The same on trade ticks (the strategy's 1-minute bars are built from them)."""
    return run_theo(data)


def main() -> None:
    path, repeat = args()
    data = load_npz(Path(path))
    run = prepare(data)
    timing = measure(lambda: run, repeat)
    result = timing["out"]
    emit(timing, [list(r) for r in fills_of(result)], data.items, engine=f"Theo, path {result.path!r}", notes=[])


if __name__ == "__main__":
    main()
