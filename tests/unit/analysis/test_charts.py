"""Charts: the session axis leaves closed hours out, the axes carry New York dates, the markers match the fills."""

from __future__ import annotations

import struct
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
from matplotlib.collections import LineCollection, PathCollection

from theo.analysis.charts import equity_figure, save_png, write_html
from theo.analysis.metrics import EquityCurve
from theo.analysis.price_chart import price_figure, traded_symbols
from theo.analysis.session_axis import session_axis
from theo.core.time import from_us, to_us
from theo.model.enums import Side
from theo.model.events import Charges, Execution
from theo.model.series import BarSeries
from theo.model.trades import ExitReason, Trade

MIN = 60_000_000
FRI_OPEN = to_us(datetime.fromisoformat("2019-02-15T09:30:00-05:00"))
MON_OPEN = to_us(datetime.fromisoformat("2019-02-18T09:30:00-05:00"))  # Presidents' Day data, as a plain Monday
TUE_OPEN = to_us(datetime.fromisoformat("2019-02-19T09:30:00-05:00"))
D = Decimal


def _sessions(*opens: int, minutes: int = 390) -> np.ndarray:
    return np.concatenate([o + np.arange(minutes, dtype=np.int64) * MIN for o in opens])


def _series(symbol: str = "AAA") -> BarSeries:
    ts = _sessions(FRI_OPEN, MON_OPEN, TUE_OPEN)
    close = 100.0 + np.sin(np.arange(ts.shape[0]) / 50.0)
    return BarSeries(symbol, "1m", ts, ts + MIN, close, close + 0.1, close - 0.1, close, np.ones(ts.shape[0]))


def test_session_axis_gives_a_weekend_zero_width() -> None:
    axis = session_axis(_sessions(FRI_OPEN, MON_OPEN))
    friday_close = FRI_OPEN + 390 * MIN  # the end of Friday's last bar, 16:00
    assert axis.x_of(friday_close) == axis.x_of(MON_OPEN)
    assert axis.x_of(MON_OPEN) - axis.x_of(FRI_OPEN) == 390.0  # Friday's session, in minutes
    assert axis.x_of(FRI_OPEN + 5 * MIN) - axis.x_of(FRI_OPEN) == 5.0  # open hours keep their width


def test_session_axis_labels_each_new_york_date() -> None:
    ticks, labels = session_axis(_sessions(FRI_OPEN, MON_OPEN, TUE_OPEN)).date_ticks()
    assert labels == ["Fri 2019-02-15", "Mon 2019-02-18", "Tue 2019-02-19"]
    assert ticks == [0.0, 390.0, 780.0]


def test_equity_chart_axis_carries_dates_and_no_flat_weekend(tmp_path: Path) -> None:
    ts = _sessions(FRI_OPEN, MON_OPEN)
    eq = 100_000.0 + np.arange(ts.shape[0], dtype=np.float64)
    fig = equity_figure(EquityCurve(ts, eq, np.ones(ts.shape[0], dtype=bool)), "test")
    fig.canvas.draw()
    bottom = fig.axes[1]
    labels = [t.get_text() for t in bottom.get_xticklabels()]
    assert labels == ["Fri 2019-02-15", "Mon 2019-02-18"]
    line = fig.axes[0].get_lines()[0]
    xs = np.asarray(line.get_xdata(), dtype=np.float64)
    assert float(np.max(np.diff(xs))) == 1.0  # no step wider than one minute: the weekend takes no room
    assert bottom.get_xlabel().startswith("New York session time")
    save_png(fig, tmp_path / "equity.png")
    data = (tmp_path / "equity.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1000, 600)
    assert len(data) > 10_000


def test_equity_html_labels_dates_under_the_chart(tmp_path: Path) -> None:
    ts = _sessions(FRI_OPEN, MON_OPEN)
    eq = 100_000.0 + np.arange(ts.shape[0], dtype=np.float64)
    write_html(EquityCurve(ts, eq, np.ones(ts.shape[0], dtype=bool)), tmp_path / "e.html", "t")
    page = (tmp_path / "e.html").read_text()
    assert ">Fri 2019-02-15</text>" in page
    assert ">Mon 2019-02-18</text>" in page


def _trade(entry_id: str, side: Side, at_us: int, hold: int, entry: str, exit_: str,
           fills: list[Execution]) -> Trade:
    t = Trade("s", "AAA", side, D(10), entry_id, stop=D("98"), target=D("104"))
    t.initial_stop = D("98")
    t.add_entry_fill(D(10), D(entry), D(0), from_us(at_us))
    fills.append(Execution(f"{entry_id}-f", entry_id, "AAA", side, D(10), D(entry), from_us(at_us), Charges()))
    exit_id = f"{entry_id}-x1"
    t.exit_orders[exit_id] = ExitReason.EXIT_RULE
    t.add_exit_fill(D(10), D(exit_), D(0), from_us(at_us + hold))
    fills.append(Execution(f"{exit_id}-f", exit_id, "AAA", side.opposite, D(10), D(exit_), from_us(at_us + hold),
                           Charges()))
    t.close(ExitReason.EXIT_RULE, from_us(at_us + hold))
    return t


def test_price_chart_marks_every_entry_exit_stop_and_target(tmp_path: Path) -> None:
    fills: list[Execution] = []
    trades = [_trade("a", Side.BUY, FRI_OPEN + 10 * MIN, 30 * MIN, "100.1", "100.5", fills),
              _trade("b", Side.SELL, FRI_OPEN + 380 * MIN, 2 * 390 * MIN, "100.2", "99.9", fills),
              _trade("c", Side.BUY, TUE_OPEN + 60 * MIN, 20 * MIN, "100.0", "100.3", fills)]
    unfilled = Trade("s", "AAA", Side.BUY, D(10), "d")
    assert traded_symbols([*trades, unfilled]) == ["AAA"]
    fig = price_figure(_series(), [*trades, unfilled], fills)
    ax = fig.axes[0]
    markers = {c.get_label(): len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection)}
    assert markers == {"buy entry": 2, "sell entry": 1, "exit": 3}
    levels = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert sorted(float(seg[0][1]) for c in levels for seg in c.get_segments()) == [98.0] * 3 + [104.0] * 3
    fig.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Fri 2019-02-15", "Mon 2019-02-18", "Tue 2019-02-19"]
    save_png(fig, tmp_path / "price.png")
    assert struct.unpack(">II", (tmp_path / "price.png").read_bytes()[16:24]) == (1200, 600)
