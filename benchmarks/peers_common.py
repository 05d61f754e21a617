"""What every engine of the peer comparison does the same way (standard library and NumPy only: the peers
import it from their own virtualenv as ``benchmarks.peers_common``).

An engine script builds its engine with the data already converted to its own structures, then
:func:`measure` times only the run phase, wall (``perf_counter``) and CPU (``process_time``) seconds, best of
``repeat`` runs each, and :func:`emit` prints the figures and the fill list as the script's last line.
A fill is ``[symbol, time as UTC µs, "BUY" | "SELL", quantity, price]``; the time is the start of the bar
(or the tick) whose price filled the order.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

Fill = list[Any]  # [symbol, ts_us, side, quantity, price]


def measure(build: Callable[[], Callable[[], Any]], repeat: int) -> dict[str, Any]:
    """Call ``build()`` (untimed: a ready engine's run function), then time that run; best of ``repeat``.

    Returns ``wall`` and ``cpu`` (best of each), the per-run lists and ``out`` (the last run's result).
    """
    walls: list[float] = []
    cpus: list[float] = []
    out: Any = None
    for _ in range(repeat):
        run = build()
        w0, c0 = time.perf_counter(), time.process_time()
        out = run()
        cpus.append(time.process_time() - c0)
        walls.append(time.perf_counter() - w0)
    return {"wall": min(walls), "cpu": min(cpus), "walls": walls, "cpus": cpus, "repeat": repeat, "out": out}


def emit(timing: dict[str, Any], fills: list[Fill], items: int, **extra: Any) -> None:
    """Print the result line the harness reads (the last line of stdout)."""
    payload = {k: v for k, v in timing.items() if k != "out"}
    payload.update(items=items, fills=fills, **extra)
    sys.stdout.write(json.dumps(payload) + "\n")


def args() -> tuple[str, int]:
    """``<data.npz> <repeat>`` from the command line."""
    return sys.argv[1], int(sys.argv[2])


def peer_main(build: Callable[[dict[str, Any]], Callable[[], Callable[[], Any]]],
              describe: Callable[[Any], dict[str, Any]]) -> None:
    """The main of a peer script: ``build(arrays)`` gives ready runs whose result has ``fills``; measure, emit.

    ``describe(result)`` adds fields to the result line (``engine`` at least).
    """
    path, repeat = args()
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    timing = measure(build(arrays), repeat)
    items = sum(len(arrays[f"{s}_start_us"]) for s in arrays["symbols"].tolist())
    emit(timing, timing["out"].fills, items, **describe(timing["out"]))


class DonchianRule:
    """The benchmark's strategy for one symbol, for engines without their own channel indicator.

    Feed each closed bar with the position (shares, after fills); get the 100-share orders to send:
    long when the close crosses above the highest high of the previous ``period`` bars (one order to open,
    two to reverse a short), short when it crosses below the lowest low. "Crosses" = true now, not on the
    bar before; a signal in the direction already held sends nothing.
    """

    __slots__ = ("above", "below", "highs", "lows", "period")

    def __init__(self, period: int) -> None:
        self.period = period
        self.highs: list[float] = []
        self.lows: list[float] = []
        self.above = self.below = False

    def on_bar(self, high: float, low: float, close: float, position: float) -> tuple[str, ...]:
        n, hs, ls = self.period, self.highs, self.lows
        above = below = False
        if len(hs) >= n:
            above, below = close > max(hs[-n:]), close < min(ls[-n:])
        orders: tuple[str, ...] = ()
        if above and not self.above and position <= 0:
            orders = ("BUY", "BUY") if position < 0 else ("BUY",)
        elif below and not self.below and position >= 0:
            orders = ("SELL", "SELL") if position > 0 else ("SELL",)
        self.above, self.below = above, below
        hs.append(high)
        ls.append(low)
        if len(hs) > 2 * n:  # only the last n matter
            del hs[:-n], ls[:-n]
        return orders
