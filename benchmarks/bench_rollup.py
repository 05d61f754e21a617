"""Engine bar roll-up: streaming ``BarRollup`` per item, and its batch twin ``rollup`` in items per second.

* Streaming, bars: the SPY 1-minute file (pre, regular and post-market, a week) through ``add_bar`` and
  ``advance(end)`` into 5m, 15m, 60m and 1d, as the paper engine feeds strategy bars.
* Streaming, ticks: one SPY day of trade prints through ``add_tick`` and ``advance(ts)`` into 1m, 5m, 15m,
  60m and 1d.
* Batch: the whole 1.9M-print SPY tick file rolled up to each of those timeframes by ``rollup``.

Per-item figures are CPU time (``process_time``) beside wall time, best of three runs: the host is shared.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from benchmarks.common import Result, Section, best_of, data_file

MINUTES = "lean/SPY_1min_2013-10-04_2013-10-11.csv.gz"
TICKS = "lean/SPY_trades_tick_2013-10-07_2013-10-11.csv.gz"
BAR_TARGETS = ("5m", "15m", "60m", "1d")
TICK_TARGETS = ("1m", "5m", "15m", "60m", "1d")


def _per_item(fn: Callable[[], int]) -> tuple[float, float, int]:
    """Best wall and CPU µs per item over three runs, and the bars made."""
    wall = cpu = float("inf")
    bars = 0
    for _ in range(3):
        w0, c0 = time.perf_counter(), time.process_time()
        n, bars = fn(), 0
        w1, c1 = time.perf_counter(), time.process_time()
        wall, cpu = min(wall, (w1 - w0) / n * 1e6), min(cpu, (c1 - c0) / n * 1e6)
    return wall, cpu, bars


def run() -> Section | None:
    minutes_path, ticks_path = data_file(MINUTES), data_file(TICKS)
    if minutes_path is None or ticks_path is None:
        return None
    from theo.core.calendar import get_calendar
    from theo.data.bars.batch import rollup
    from theo.data.bars.rollup import BarRollup
    from theo.data.files import read_market_file

    cal = get_calendar()
    bars = read_market_file(minutes_path, "SPY").bars
    ticks = read_market_file(ticks_path, "SPY").ticks
    assert bars is not None
    assert ticks is not None
    b_rows = list(zip(bars.start_us.tolist(), bars.end_us().tolist(), bars.open.tolist(), bars.high.tolist(),
                      bars.low.tolist(), bars.close.tolist(), bars.volume.tolist(), strict=True))
    day = (ticks.ts_us >= ticks.ts_us[0]) & (ticks.ts_us < ticks.ts_us[0] + 86_400_000_000)
    t_rows = list(zip(ticks.ts_us[day].tolist(), ticks.price[day].tolist(), ticks.size[day].tolist(), strict=True))
    made = [0, 0]

    def stream_bars() -> int:
        r = BarRollup([("SPY", tf) for tf in BAR_TARGETS], lambda _s: cal)
        add, advance, out = r.add_bar, r.advance, 0
        for s, e, o, h, lo, c, v in b_rows:
            add("SPY", s, e, o, h, lo, c, v)
            out += len(advance(e))
        made[0] = out + len(r.flush())
        return len(b_rows)

    def stream_ticks() -> int:
        r = BarRollup([("SPY", tf) for tf in TICK_TARGETS], lambda _s: cal)
        add, advance, out = r.add_tick, r.advance, 0
        for ts, p, q in t_rows:
            out += len(advance(ts))
            add("SPY", ts, p, q)
        made[1] = out + len(r.flush())
        return len(t_rows)

    b_wall, b_cpu, _ = _per_item(stream_bars)
    t_wall, t_cpu, _ = _per_item(stream_ticks)
    ts = np.asarray(ticks.ts_us, dtype=np.int64)
    price = np.asarray(ticks.price, dtype=np.float64)
    size = np.asarray(ticks.size, dtype=np.float64)

    def batch() -> int:
        return sum(len(rollup("SPY", ts, None, price, price, price, price, size, tf, cal)) for tf in TICK_TARGETS)

    batch_s, batch_bars = best_of(batch, repeat=3)
    rate = len(ts) * len(TICK_TARGETS) / batch_s

    section = Section("Engine bar roll-up (streaming BarRollup, batch rollup)", "python -m benchmarks rollup")
    section.results += [
        Result("streaming: add_bar + advance per 1m source bar, CPU", b_cpu, "µs",
               note=f"wall {b_wall:.2f} µs; {len(b_rows):,} SPY minute bars -> {made[0]:,} bars of "
                    f"{', '.join(BAR_TARGETS)}; best of 3"),
        Result("streaming: advance + add_tick per print, CPU", t_cpu, "µs",
               note=f"wall {t_wall:.2f} µs; {len(t_rows):,} prints of one SPY day -> {made[1]:,} bars of "
                    f"{', '.join(TICK_TARGETS)}; best of 3"),
        Result("batch: rollup of the tick file, per timeframe", rate, "items/s", target=">= 1,000,000 items/s",
               met=rate >= 1_000_000,
               note=f"{len(ts):,} prints x {len(TICK_TARGETS)} timeframes -> {batch_bars:,} bars in "
                    f"{batch_s:.3f} s (best of 3)"),
    ]
    section.notes.append("Streaming figures include building the emitted Bar objects; the clock is the items' "
                         "own time (advance to each item), as in a replay.")
    return section
