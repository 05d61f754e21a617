"""A chart's time axis with the closed hours left out, labelled with New York dates.

Drawing equity or prices against clock time stretches every night and weekend into a flat line. On this axis
each item takes its own width (its spacing in the data) and the time between sessions takes none: the first
item of Monday follows the last item of Friday. A gap counts as closed time when it is longer than ten items
and fifteen minutes; shorter gaps (a quiet minute without trades) keep their width.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

import numpy as np

from theo.core.time import from_us
from theo.model.series import F64, I64

ET = ZoneInfo("America/New_York")
MINUTE_US = 60_000_000
MAX_DATE_LABELS = 12


@dataclass(frozen=True)
class SessionAxis:
    """Positions (minutes of session time from the first item) of sorted item times in µs UTC."""

    ts_us: I64
    x: F64
    step_us: int

    def x_of(self, ts_us: int) -> float:
        """The position of any instant: that of the item it falls in, plus its offset up to one item's width."""
        i = int(np.searchsorted(self.ts_us, ts_us, side="right")) - 1
        if i < 0:
            return float(self.x[0]) if self.x.size else 0.0
        offset = min(max(ts_us - int(self.ts_us[i]), 0), self.step_us)
        return float(self.x[i]) + offset / MINUTE_US

    def date_ticks(self) -> tuple[list[float], list[str]]:
        """One tick at the first item of each New York date (at most MAX_DATE_LABELS, evenly picked)."""
        starts: list[tuple[float, date]] = []
        last: date | None = None
        for x, t in zip(self.x.tolist(), self.ts_us.tolist(), strict=True):
            day = from_us(int(t)).astimezone(ET).date()
            if day != last:
                starts.append((x, day))
                last = day
        stride = max(1, -(-len(starts) // MAX_DATE_LABELS))
        kept = starts[::stride]
        return [x for x, _ in kept], [d.strftime("%a %Y-%m-%d") for _, d in kept]


def session_axis(ts_us: I64) -> SessionAxis:
    """Compress the closed time between the sorted instants ``ts_us`` to zero width (see the module docstring)."""
    ts = np.asarray(ts_us, dtype=np.int64)
    gaps = np.diff(ts)
    positive = gaps[gaps > 0]
    step = int(np.median(positive)) if positive.size else MINUTE_US
    closed = max(10 * step, 15 * MINUTE_US)
    advance = np.where(gaps > closed, step, gaps)
    x = np.concatenate(([0.0], np.cumsum(advance, dtype=np.float64) / MINUTE_US))
    return SessionAxis(ts, np.asarray(x, dtype=np.float64), step)
