"""Engine speed: the Donchian breakout through the full backtest engine on 2 × 500,000 one-minute bars,
a 1,000,000-tick backtest with the open position managed on every tick, and peak memory."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.common import ROOT, Result, Section, best_of
from benchmarks.engine_data import bar_market, tick_market
from theo.config import TheoConfig
from theo.node.backtest import run_backtest

BARS_PER_SYMBOL = 500_000
TICKS = 1_000_000

DONCHIAN = {"type": "donchian_breakout", "name": "donchian", "symbols": ["AAA", "BBB"], "timeframe": "1m",
            "entry_period": 60, "exit_period": 30, "quantity": "100", "stop_loss_pct": 1.0, "trail_pct": 0.5}
FAST = {"execution": "fast"}  # the vectorised books; the broker desk is measured separately below
DESK_BARS_PER_SYMBOL = 50_000
TICK_STRATEGY = {"type": "donchian_breakout", "name": "donchian-ticks", "symbols": ["AAA"], "timeframe": "1m",
                 "entry_period": 20, "exit_period": 20, "quantity": "100", "trail_pct": 2.0}

CHILD = """
import sys
try:  # forget the high-water mark inherited from the parent at fork (Linux), so only this run counts
    open("/proc/self/clear_refs", "w").write("5")
except OSError:
    pass
sys.path.insert(0, {root!r})
from benchmarks.engine_data import bar_market
from benchmarks.bench_engine import DONCHIAN
from theo.config import TheoConfig
from theo.node.backtest import run_backtest
from theo.analysis.outputs import build_report
data = bar_market({n})
result = run_backtest(TheoConfig.model_validate({{"strategies": [DONCHIAN], "engine": {{"execution": "fast"}}}}), data)
build_report(result)
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(len(result.journal.trades), hwm)
"""


def _child_peak_mb() -> tuple[float, str]:
    """Peak resident memory (VmHWM) of a fresh process doing the whole 1,000,000-bar run and its report."""
    out = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT), n=BARS_PER_SYMBOL)],
                         capture_output=True, text=True, check=True)
    trades, hwm_kb = out.stdout.split()
    return int(hwm_kb) / 1024, trades


def best_cpu(fn: Callable[[], object], repeat: int = 3) -> float:
    """Best process CPU time of ``fn`` (seconds): what the engine costs, whatever else the machine runs."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def run() -> Section:
    section = Section("Engine: backtest speed and memory", "make bench BENCH=engine")
    peak, child_trades = _child_peak_mb()
    bars = bar_market(BARS_PER_SYMBOL)
    cfg = TheoConfig.model_validate({"strategies": [DONCHIAN], "engine": FAST})
    n_bars = bars.items
    seconds, result = best_of(lambda: run_backtest(cfg, bars), repeat=3)
    trades = len(result.journal.trades)
    rate = n_bars / seconds
    name = "Donchian breakout, 2 × 500,000 1-minute bars, fast execution (vectorised books)"
    section.results.append(Result(name, rate, "bars/s", "≥ 500,000 bars/s", rate >= 500_000,
                                  f"{trades:,} trades, {result.journal.signal_count:,} signals, best of 3, wall time"))
    cpu = n_bars / best_cpu(lambda: run_backtest(cfg, bars))
    section.results.append(Result("the same, per CPU second of the process", cpu, "bars/s", "≥ 500,000 bars/s",
                                  cpu >= 500_000, "not slowed by other jobs on the machine"))
    from theo.analysis.outputs import write_outputs

    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        write_outputs(result, Path(out))
        report_s = time.perf_counter() - t0
    section.results.append(Result("writing the report of that run (metrics, CSVs, PNG, HTML)", report_s, "s",
                                  note="not part of the engine figure"))
    section.results.append(Result("peak memory of the 1,000,000-bar run (child process, incl. Python + NumPy)",
                                  peak, "MB", "< 300 MB", peak < 300, f"{child_trades} trades"))
    ticks = tick_market(TICKS)
    tcfg = TheoConfig.model_validate({"strategies": [TICK_STRATEGY], "engine": FAST})
    seconds, tres = best_of(lambda: run_backtest(tcfg, ticks), repeat=3)
    open_ticks = sum(t.exit_index - t.entry_index + 1 for t in tres.journal.trades if t.closed)
    rate = ticks.items / seconds
    section.results.append(Result("tick backtest, 1,000,000 ticks, trailing stop checked on every tick", rate,
                                  "ticks/s", "≥ 1,000,000 ticks/s", rate >= 1_000_000,
                                  f"{len(tres.journal.trades):,} trades; a position was open on "
                                  f"{open_ticks / ticks.items:.0%} of ticks; wall time"))
    cpu = ticks.items / best_cpu(lambda: run_backtest(tcfg, ticks))
    section.results.append(Result("the same, per CPU second of the process", cpu, "ticks/s", "≥ 1,000,000 ticks/s",
                                  cpu >= 1_000_000))
    section.results.extend(_desk_results())
    section.notes += [
        "Data: seeded synthetic random walks (benchmarks/engine_data.py), 1-minute bars 2 symbols, ticks 1 symbol.",
        "Fast execution (`[engine] execution = \"fast\"`): batch signals, risk check (leverage), simulated fills "
        "with charges (IBKR fixed), stop/trailing/target management, in-memory journal.",
        "Broker desk (the default, what `theo run` uses): every signal through the trade manager and its pre-trade "
        "checks, every order through the order service, its journal (scratch in-memory SQLite) and the simulated "
        "broker; the price path is streamed bar by bar.",
        "The machine is shared: other jobs running at the same time lower the wall-time figures; the CPU-time "
        "figures show the engine's own cost.",
    ]
    return section


def _desk_results() -> list[Result]:
    """The same Donchian breakout through the broker desk (the default execution) on 2 × 50,000 bars."""
    bars = bar_market(DESK_BARS_PER_SYMBOL)
    cfg = TheoConfig.model_validate({"strategies": [DONCHIAN]})
    seconds, result = best_of(lambda: run_backtest(cfg, bars), repeat=2)
    assert result.path == "broker"
    orders = len(result.journal.orders)
    rate = bars.items / seconds
    return [Result("Donchian breakout, 2 × 50,000 1-minute bars, broker desk (default execution)", rate, "bars/s",
                   "≥ 500,000 bars/s", rate >= 500_000,
                   f"{len(result.journal.trades):,} trades, {orders:,} orders ({orders / seconds:,.0f} orders/s), "
                   f"best of 2, wall time"),
            Result("the same, per order handled", seconds / max(orders, 1) * 1e6, "µs/order",
                   note="trade manager + 11 pre-trade checks + order service + journal + simulated broker")]
