"""Theo's side of the peer comparison: the benchmark's config, one backtest call, and its fill list.

``python -m benchmarks.peers_theo <data.npz> <repeat>`` runs like the peer scripts (data loaded into Theo's
MarketData before the timer, then ``run_backtest`` timed, best of ``repeat``). :func:`run_theo` and
:func:`run_theo_ticks` are the same call for in-process use (bench_engine).

The config is what the issue asks of the default path: no commission, no PDT rule, no limit or breaker that
the benchmark would trip, stops and targets only from the signal (Donchian sends none). An engine whose
config schema predates these keys rejects some of them; :func:`validated` then maps them to that engine's
nearest settings and says so in its notes, and the harness prints which path ran.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from benchmarks.engine_data import load_npz
from benchmarks.peers_common import args, emit, measure
from theo.config import TheoConfig
from theo.model.series import to_us
from theo.node.backtest import run_backtest
from theo.node.data import MarketData

FillRow = tuple[str, int, str, float, float]  # symbol, UTC µs, BUY/SELL, quantity, price

#: Settings of the older engine standing in for keys its schema rejects (commissions were [engine] charges).
OLDER_ENGINE = {"engine": {"charges": "none"}}


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


def _at(tree: dict[str, Any], loc: Sequence[int | str]) -> tuple[Any, int | str]:
    node: Any = tree
    for key in loc[:-1]:
        node = node[key]
    return node, loc[-1]


def validated(cfg: dict[str, Any]) -> tuple[TheoConfig, list[str]]:
    """``cfg`` validated; if the installed engine's schema rejects keys, its nearest config and notes.

    A rejected ``"none"`` becomes an unset value (``None``) where the older schema has one; any other rejected
    key is dropped; :data:`OLDER_ENGINE` is added. The notes list every change.
    """
    try:
        return TheoConfig.model_validate(cfg), []
    except ValidationError as exc:
        first = exc
    old = copy.deepcopy(cfg)
    notes = ["OLDER ENGINE: this Theo's config schema rejects keys of the benchmark config; measured with "
             "its nearest settings"]
    for err in first.errors():
        parent, key = _at(old, err["loc"])
        if parent.get(key) == "none":
            parent[key] = None
            notes.append(f"{'.'.join(map(str, err['loc']))}: 'none' -> unset")
    while True:
        try:
            config = TheoConfig.model_validate(old | {k: old.get(k, {}) | v for k, v in OLDER_ENGINE.items()})
            break
        except ValidationError as exc:
            for err in exc.errors():
                parent, key = _at(old, err["loc"])
                del parent[key]
                notes.append(f"{'.'.join(map(str, err['loc']))}: dropped")
    notes.append(f"added {OLDER_ENGINE}")
    return config, notes


def _us(ts: datetime | int) -> int:
    return ts if isinstance(ts, int) else to_us(ts)


def fills_of(result: Any) -> list[FillRow]:
    """The fills of a backtest as rows, sorted; from ``result.fills()`` or, on the older engine, its orders."""
    if callable(getattr(result, "fills", None)):
        rows = [(f.symbol, _us(f.ts), str(getattr(f.side, "value", f.side)), float(f.quantity), float(f.price))
                for f in result.fills()]
    else:
        rows = [(o.symbol, to_us(o.filled), o.side.value, float(o.quantity), float(o.fill_price))
                for o in result.journal.orders if o.filled is not None and o.fill_price is not None]
    return sorted(rows)


def path_of(result: Any) -> str:
    """Which Theo path ran, as the result names it."""
    return str(getattr(result, "path", None) or type(result).__name__)


def prepare(data: MarketData) -> tuple[Callable[[], Any], list[str]]:
    """The backtest call of the benchmark on ``data`` (config validated now, outside any timer) and notes."""
    config, notes = validated(theo_config(data.symbols))
    return (lambda: run_backtest(config, data)), notes


def run_theo(data: MarketData) -> tuple[list[FillRow], Any]:
    """Backtest the benchmark's Donchian on bars; its fills (sorted rows) and the result."""
    run, _ = prepare(data)
    result = run()
    return fills_of(result), result


def run_theo_ticks(data: MarketData) -> tuple[list[FillRow], Any]:
    """The same on trade ticks (the strategy's 1-minute bars are built from them)."""
    return run_theo(data)


def main() -> None:
    path, repeat = args()
    data = load_npz(Path(path))
    run, notes = prepare(data)
    timing = measure(lambda: run, repeat)
    result = timing["out"]
    emit(timing, [list(r) for r in fills_of(result)], data.items, engine=f"Theo, path {path_of(result)!r}",
         notes=notes)


if __name__ == "__main__":
    main()
