"""Equity and drawdown charts: a PNG (matplotlib) and a self-contained interactive HTML page (inline SVG).

Both are deterministic: fixed size and dpi, no timestamps or software tags in the PNG, and an HTML page
that needs no network (the SVG paths and a few lines of JavaScript for the hover read-out are inline).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")

import itertools

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from theo.analysis.metrics import EquityCurve
from theo.analysis.session_axis import SessionAxis, session_axis
from theo.core.time import from_us

ET = ZoneInfo("America/New_York")
MAX_POINTS = 2_000


def _thin(curve: EquityCurve) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """At most MAX_POINTS points, keeping each slice's lowest drawdown point so the worst dip shows."""
    n = curve.ts_us.shape[0]
    dd = curve.drawdown
    if n <= MAX_POINTS:
        idx = np.arange(n)
    else:
        edges = np.linspace(0, n, MAX_POINTS + 1).astype(np.int64)
        idx = np.array([a + int(np.argmin(dd[a:b])) for a, b in itertools.pairwise(edges) if b > a])
        idx = np.unique(np.concatenate((idx, [0, n - 1])))
    return curve.ts_us[idx], curve.equity[idx], dd[idx]


def style_time_axis(ax: Axes, axis: SessionAxis) -> None:
    """Date labels at each session's first item and a faint line where a session starts."""
    ticks, labels = axis.date_ticks()
    ax.set_xticks(ticks, labels, rotation=30, ha="right")
    for x in ticks[1:]:
        ax.axvline(x, color="#999999", linewidth=0.6, alpha=0.5)
    if axis.x.size:
        ax.set_xlim(float(axis.x[0]), float(axis.x[-1]))


def equity_figure(curve: EquityCurve, title: str) -> Figure:
    """Equity above drawdown, on the session axis (closed hours left out), dates on the x axis."""
    ts, eq, dd = _thin(curve)
    axis = session_axis(curve.ts_us)
    xs = np.array([axis.x_of(int(t)) for t in ts.tolist()])
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 6), dpi=100, sharex=True,
                                   gridspec_kw={"height_ratios": [3, 1]})
    ax1.plot(xs, eq, color="#1f77b4", linewidth=1.2)
    ax1.set_title(title)
    ax1.set_ylabel("equity (USD)")
    ax1.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax1.grid(True, axis="y", alpha=0.3)
    ax2.fill_between(xs, dd * 100.0, 0.0, color="#d62728", alpha=0.5, linewidth=0)
    ax2.set_ylabel("drawdown (%)")
    ax2.set_xlabel("New York session time (nights, weekends and holidays left out)")
    ax2.grid(True, axis="y", alpha=0.3)
    style_time_axis(ax1, axis)
    style_time_axis(ax2, axis)
    ax1.tick_params(labelbottom=False)
    fig.tight_layout()
    return fig


def save_png(fig: Figure, path: Path) -> None:
    """Write the figure as a PNG without software metadata (the same figure gives the same bytes)."""
    fig.savefig(path, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)


def write_png(curve: EquityCurve, path: Path, title: str) -> None:
    save_png(equity_figure(curve, title), path)


def _path(xs: np.ndarray, ys: np.ndarray, width: float, height: float, top: float,
          lo: float, hi: float) -> str:
    span = hi - lo if hi > lo else 1.0
    px = xs * width
    py = top + (1.0 - (ys - lo) / span) * height
    return "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in zip(px.tolist(), py.tolist(), strict=True))


def _axis_marks(axis: SessionAxis, span: float, w: float, bottom: float, lo: float, hi: float, top: float,
                height: float) -> str:
    """Date labels under the chart at each session's start and the equity range at the left."""
    ticks, labels = axis.date_ticks()
    parts = [f'<line x1="{x / span * w:.1f}" y1="0" x2="{x / span * w:.1f}" y2="{bottom:.0f}" stroke="#ddd"/>'
             f'<text x="{x / span * w:.1f}" y="{bottom + 16:.0f}" font-size="11">{html.escape(label)}</text>'
             for x, label in zip(ticks, labels, strict=True)]
    parts.append(f'<text x="-4" y="{top + 4:.0f}" font-size="11" text-anchor="end">{hi:,.0f}</text>')
    parts.append(f'<text x="-4" y="{top + height:.0f}" font-size="11" text-anchor="end">{lo:,.0f}</text>')
    return "\n".join(parts)


def write_html(curve: EquityCurve, path: Path, title: str) -> None:
    ts, eq, dd = _thin(curve)
    axis = session_axis(curve.ts_us)
    span = float(axis.x[-1]) if axis.x.size and float(axis.x[-1]) > 0 else 1.0
    xs = np.array([axis.x_of(int(t)) for t in ts.tolist()]) / span
    w, h1, h2, gap = 960.0, 320.0, 120.0, 30.0
    full_h = 10 + h1 + gap + h2 + 40
    eq_lo, eq_hi = float(eq.min()), float(eq.max())
    dd_lo = float(dd.min()) if float(dd.min()) < 0 else -0.01
    eq_path = _path(xs, eq, w, h1, 10.0, eq_lo, eq_hi)
    base = 10.0 + h1 + gap
    dd_path = _path(xs, dd, w, h2, base, dd_lo, 0.0) + f" L{w:.1f},{base:.1f} L0.0,{base:.1f} Z"
    labels = [from_us(t).astimezone(ET).strftime("%Y-%m-%d %H:%M") for t in ts.tolist()]
    data = json.dumps({"t": labels, "x": [round(float(v), 5) for v in xs], "e": [round(float(v), 2) for v in eq],
                       "d": [round(float(v) * 100, 3) for v in dd]}, separators=(",", ":"))
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:20px}}#info{{font-family:monospace;height:1.4em}}
svg{{border:1px solid #ccc;max-width:100%;height:auto}}</style></head><body>
<h2>{html.escape(title)}</h2>
<p>Equity {eq_lo:,.2f} to {eq_hi:,.2f} USD; worst drawdown {dd_lo * 100:.2f} %.
Closed hours are left out of the time axis. Move the mouse over the chart.</p>
<div id="info"></div>
<svg id="c" width="{w + 80:.0f}" height="{full_h:.0f}" viewBox="-70 0 {w + 80:.0f} {full_h:.0f}">
<path d="{eq_path}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>
<path d="{dd_path}" fill="#d62728" fill-opacity="0.45" stroke="none"/>
{_axis_marks(axis, span, w, 10.0 + h1 + gap + h2, eq_lo, eq_hi, 10.0, h1)}
<line id="cur" x1="0" y1="0" x2="0" y2="{10 + h1 + gap + h2:.0f}" stroke="#888" stroke-dasharray="3,3"/>
</svg>
<script>
const D={data};const svg=document.getElementById("c");const info=document.getElementById("info");
svg.addEventListener("mousemove",function(ev){{const r=svg.getBoundingClientRect();
const f=Math.min(1,Math.max(0,((ev.clientX-r.left)/r.width*{w + 80:.0f}-70)/{w:.0f}));
let i=0;while(i<D.x.length-1&&D.x[i+1]<=f)i++;
document.getElementById("cur").setAttribute("x1",f*{w:.0f});document.getElementById("cur").setAttribute("x2",f*{w:.0f});
info.textContent=D.t[i]+"  equity "+D.e[i].toFixed(2)+" USD  drawdown "+D.d[i].toFixed(3)+" %";}});
</script></body></html>
"""
    path.write_text(page, encoding="utf-8")
