"""Price chart of one traded symbol: closes on the session axis with every entry, exit, stop and target marked.

Entries are triangles (up for a buy, down for a sell) at each entry fill, exits are crosses at each exit
fill; each trade's initial stop (red) and target (green) are dashed segments from its entry to its exit (or to
the end of the data while it is open).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from theo.analysis.charts import MAX_POINTS, style_time_axis
from theo.analysis.session_axis import session_axis
from theo.core.time import to_us
from theo.model.enums import Side
from theo.model.events import Execution
from theo.model.series import BarSeries
from theo.model.trades import Trade

ENTRY_LABELS = {Side.BUY: "buy entry", Side.SELL: "sell entry"}


def traded_symbols(trades: Sequence[Trade]) -> list[str]:
    """Symbols with at least one filled entry, in first-entry order."""
    out: list[str] = []
    for t in trades:
        if t.entry_qty > 0 and t.symbol not in out:
            out.append(t.symbol)
    return out


def price_figure(series: BarSeries, trades: Sequence[Trade], fills: Sequence[Execution]) -> Figure:
    """The chart of ``series`` with the given trades of its symbol marked (see the module docstring)."""
    symbol = series.symbol
    mine = [t for t in trades if t.symbol == symbol and t.entry_qty > 0]
    entry_ids = {t.entry_order_id: t.side for t in mine}
    exit_ids = {cid for t in mine for cid in t.exit_orders}
    axis = session_axis(series.start_us)
    n = len(series)
    stride = max(1, -(-n // (4 * MAX_POINTS)))
    fig, ax = plt.subplots(figsize=(12, 6), dpi=100)
    ax.plot(axis.x[::stride], series.close[::stride], color="#555555", linewidth=0.8, label="close")
    end_us = int(series.end_us[-1]) if n else 0
    for t in mine:
        x0 = axis.x_of(to_us(t.entry_ts)) if t.entry_ts else float(axis.x[0])
        x1 = axis.x_of(to_us(t.exit_ts) if t.exit_ts else end_us)
        if t.initial_stop is not None:
            ax.hlines(float(t.initial_stop), x0, x1, colors="#d62728", linestyles="dashed", linewidth=0.9,
                      label="_stop")
        if t.target is not None:
            ax.hlines(float(t.target), x0, x1, colors="#2ca02c", linestyles="dashed", linewidth=0.9, label="_target")
    for side, marker, colour in ((Side.BUY, "^", "#2ca02c"), (Side.SELL, "v", "#d62728")):
        pts = [(axis.x_of(to_us(ex.ts)), float(ex.price)) for ex in fills
               if ex.symbol == symbol and entry_ids.get(ex.client_order_id) is side]
        if pts:
            xy = np.array(pts)
            ax.scatter(xy[:, 0], xy[:, 1], marker=marker, s=60, color=colour, edgecolors="black", linewidths=0.5,
                       zorder=3, label=ENTRY_LABELS[side])
    exits = [(axis.x_of(to_us(ex.ts)), float(ex.price)) for ex in fills
             if ex.symbol == symbol and ex.client_order_id in exit_ids]
    if exits:
        xy = np.array(exits)
        ax.scatter(xy[:, 0], xy[:, 1], marker="X", s=50, color="#1f1f1f", zorder=3, label="exit")
    ax.plot([], [], color="#d62728", linestyle="dashed", label="initial stop")
    ax.plot([], [], color="#2ca02c", linestyle="dashed", label="target")
    ax.set_title(f"{symbol}: {len(mine)} trades (entries, exits, initial stops and targets)")
    ax.set_ylabel("price (USD)")
    ax.set_xlabel("New York session time (nights, weekends and holidays left out)")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    style_time_axis(ax, axis)
    fig.tight_layout()
    return fig
