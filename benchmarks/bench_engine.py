"""Engine speed and memory on the default path (the one engine every mode uses).

* The peers' strategy (20-bar Donchian stop-and-reverse, 100 shares, no stops, no charges) on 2 × 500,000
  NYSE session minutes: bars per CPU second and the cost of each order (everything the run does, divided by
  its orders).
* The same strategy as a trader runs it with the defaults of ``[risk]``: risk-sized entries capped at the
  limits, a bracket per entry (stop-loss and take-profit resting at the broker), a trailing stop, the time exit.
* Peak resident memory of a 1,000,000-bar backtest (the peers' config), in a fresh child process.
* A tick backtest of 1,000,000 ticks (the peers' tick strategy), ticks per CPU second.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks.common import ROOT, Result, Section
from benchmarks.engine_data import bar_market, tick_market
from benchmarks.peers_theo import theo_config
from theo.config import TheoConfig
from theo.model.enums import OrderStatus
from theo.node.backtest import BacktestResult, run_backtest

BARS_PER_SYMBOL = 500_000
TICKS = 1_000_000

CHILD = """
import sys
try:  # forget the high-water mark inherited from the parent at fork (Linux), so only this run counts
    open("/proc/self/clear_refs", "w").write("5")
except OSError:
    pass
sys.path.insert(0, {root!r})
def rss():
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS:"))
from benchmarks.engine_data import bar_market
from benchmarks.peers_theo import theo_config
from theo.config import TheoConfig
from theo.model.enums import OrderStatus
from theo.core.calendar import get_calendar
from theo.node.backtest import run_backtest
from theo.analysis.outputs import build_report
get_calendar("XNYS")
loaded = rss()
data = bar_market({n})
with_data = rss()
result = run_backtest(TheoConfig.model_validate(theo_config()), data)
build_report(result)
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(len(result.fills()), len(result.orders()), loaded, with_data, hwm)
"""


def trader_config() -> dict[str, Any]:
    """The Donchian breakout with the [risk] defaults: risk sizing, brackets, trailing stop, time exit.

    The breakers and the daily limits are off (see the comment): the other defaults stay.
    """
    # The drawdown breaker, the daily loss limit and the 20 trades a day are off: on a random walk they would stop
    # the entries part-way (HALTED, REDUCING, refused brackets) and leave cheap bars and refused orders behind.
    return {"risk": {"trade": {"trailing_stop_pct": "0.3"}, "breakers": {"max_drawdown_pct": "none"},
                     "account": {"limits": {"daily_loss_limit_pct": "none", "max_trades_per_day": 100000}}},
            "strategies": [{"type": "donchian_breakout", "name": "donchian", "symbols": ["AAA", "BBB"],
                            "timeframe": "1m", "entry_period": 20, "exit_period": 10}]}


def measure(fn: Callable[[], BacktestResult], repeat: int) -> tuple[float, float, BacktestResult]:
    """Best CPU and best wall seconds of ``repeat`` runs of ``fn``, and the last result."""
    cpu = wall = float("inf")
    result: BacktestResult | None = None
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        result = fn()
        cpu, wall = min(cpu, time.process_time() - c0), min(wall, time.perf_counter() - w0)
    assert result is not None
    return cpu, wall, result


def _child_peak_mb() -> tuple[float, str]:
    """Peak resident memory (VmHWM) of a fresh process doing the whole 1,000,000-bar run and its report.

    The note splits it: the interpreter with Theo, NumPy, pandas and the calendar loaded; the data; the run.
    """
    out = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT), n=BARS_PER_SYMBOL)],
                         capture_output=True, text=True, check=True)
    fills, orders, loaded, with_data, hwm = (int(v) for v in out.stdout.split())
    run_kb = hwm - with_data
    note = (f"{fills:,} fills; libraries and calendar {loaded / 1024:.0f} MB, the 1,000,000 bars "
            f"{(with_data - loaded) / 1024:.0f} MB, the run and its report {run_kb / 1024:.0f} MB = "
            f"{run_kb * 1024 / orders / 1000:.1f} kB per order kept (orders, fills, journal events, the broker's "
            f"books, trades, signals)")
    return hwm / 1024, note


def run() -> Section:
    section = Section("Engine: backtests on the default path", "make bench BENCH=engine")
    bars = bar_market(BARS_PER_SYMBOL)
    n = bars.items
    cfg = TheoConfig.model_validate(theo_config())
    cpu, wall, result = measure(lambda: run_backtest(cfg, bars), 3)
    orders = len(result.orders())
    section.results += [
        Result("Donchian stop-and-reverse, 2 × 500,000 1-minute bars (the peers' config), per CPU second", n / cpu,
               "bars/s", note=f"{len(result.fills()):,} fills, {orders:,} orders, {result.visited:,} items visited; "
                              f"best of 3; {cpu:.2f} CPU s"),
        Result("the same, per wall second", n / wall, "bars/s", note=f"{wall:.2f} s; shared machine"),
        Result("the same, everything the run does divided by its orders", cpu / orders * 1e6, "µs/order",
               "≤ 20 µs", cpu / orders * 1e6 <= 20,
               note="signals, sizing, the pre-trade checks, the order service, the in-memory journal, the "
                    "simulated broker and the trade manager"),
    ]
    tcfg = TheoConfig.model_validate(trader_config())
    cpu, wall, result = measure(lambda: run_backtest(tcfg, bars), 2)
    orders = len(result.orders())
    section.results += [
        Result("Donchian breakout with the [risk] defaults but the breakers and daily limits (risk sizing, brackets, "
               "trailing stop, time exit), "
               "per CPU second", n / cpu, "bars/s",
               note=f"{len([t for t in result.trades() if t.entry_qty]):,} trades, {orders:,} orders ("
                    f"{sum(o.status is OrderStatus.REJECTED for o in result.orders()):,} refused by the checks), "
                    f"{len(result.fills()):,} fills; best of 2"),
        Result("the same, per order", cpu / orders * 1e6, "µs/order"),
    ]
    peak, fills = _child_peak_mb()
    section.results.append(Result("peak memory of the 1,000,000-bar run and its report (child process, incl. "
                                  "Python + NumPy)", peak, "MB", "≤ 300 MB", peak <= 300, fills))
    ticks = tick_market(TICKS)
    tcfg = TheoConfig.model_validate(theo_config(tuple(ticks.symbols)))
    cpu, wall, result = measure(lambda: run_backtest(tcfg, ticks), 3)
    section.results += [
        Result("tick backtest, 1,000,000 trade ticks, 1-minute Donchian stop-and-reverse, per CPU second",
               ticks.items / cpu, "ticks/s", note=f"{len(result.fills()):,} fills, {result.visited:,} ticks shown "
                                                  f"to the broker; best of 3"),
    ]
    section.notes += [
        "Data: seeded random walks on NYSE regular-session minutes (benchmarks/engine_data.py), 2 symbols for bars, "
        "1 for ticks. Times are the run phase only (run_backtest; data built before the timer).",
        "Every run is the default path: the node of `theo run` (trade manager, sizing, pre-trade checks, order "
        "service, journal, simulated broker); a backtest only skips the items where no order can fill and no "
        "level can be reached (tests/unit/node/test_skip_ahead.py proves the results are those of every item).",
        "The comparison with backtrader and NautilusTrader is `make bench-peers` (section Peers).",
        "CPU time is the process's own; the machine is shared, so wall time may be higher. On a shared virtual "
        "machine CPU seconds drift by tens of percent between sessions (the build machine gave this run between "
        "about 80,000 and 130,000 bars per CPU second over one day): compare engines within one `make "
        "bench-peers` session, where they run interleaved.",
    ]
    return section
