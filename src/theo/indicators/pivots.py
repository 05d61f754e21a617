"""Pivot points (classic, Fibonacci, Camarilla, Woodie) from the previous session's high, low and close.

Formulas (H, L, C of the previous session; R = H - L):

* classic:   PP = (H+L+C)/3, R1 = 2PP-L, S1 = 2PP-H, R2 = PP+R, S2 = PP-R, R3 = H+2(PP-L), S3 = L-2(H-PP)
* fibonacci: PP = (H+L+C)/3, R1/S1 = PP±0.382R, R2/S2 = PP±0.618R, R3/S3 = PP±R
* camarilla: PP = (H+L+C)/3, R1/S1 = C±1.1R/12, R2/S2 = C±1.1R/6, R3/S3 = C±1.1R/4
* woodie:    PP = (H+L+2C)/4, then R1..S3 as classic
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from theo.core.calendar import MarketCalendar, get_calendar
from theo.core.errors import ConfigError
from theo.data.bars.timeframes import parse_timeframe
from theo.indicators import batch as vec
from theo.indicators.base import BarArrays, FloatArray, RecordIndicator
from theo.indicators.sessions import session_key, session_keys
from theo.model.enums import SessionKind
from theo.model.market import Bar


@dataclass(frozen=True, slots=True)
class PivotValue:
    pp: float
    r1: float
    r2: float
    r3: float
    s1: float
    s2: float
    s3: float


class Pivots(RecordIndicator[PivotValue]):
    """Pivot levels valid for the current session, computed from the previous one.

    Intraday bars are grouped into sessions by ``theo.indicators.sessions`` (calendar session, else the ET
    date); only regular-session bars build a session's H/L/C unless ``regular_only`` is false. Daily bars
    use the previous bar. A session without counted bars is skipped: the levels of the latest earlier
    session stay in force.
    """

    outputs = ("pp", "r1", "r2", "r3", "s1", "s2", "s3")

    def __init__(self, method: str = "classic", calendar: MarketCalendar | str | None = None,
                 regular_only: bool = True) -> None:
        super().__init__()
        if method not in vec.PIVOT_METHODS:
            raise ConfigError(f"unknown pivot method {method!r}; use one of {', '.join(vec.PIVOT_METHODS)}")
        self.method = method
        self.calendar = get_calendar(calendar) if isinstance(calendar, str) else calendar
        self.regular_only = regular_only
        self.name = f"pivot_{method}"
        self._reset()

    def _reset(self) -> None:
        self._key: int | None = None
        self._i = -1
        self._hlc: tuple[float, float, float] | None = None
        self._value: PivotValue | None = None
        self._tf = ""
        self._daily = False

    def _update(self, bar: Bar) -> None:
        self._i += 1
        if bar.timeframe != self._tf:
            self._tf, self._daily = bar.timeframe, parse_timeframe(bar.timeframe).daily
        key = self._i if self._daily else session_key(bar.start, self.calendar)
        if key != self._key:
            if self._hlc is not None:
                self._value = levels(*self._hlc, self.method)
            self._key, self._hlc = key, None
        if self.regular_only and bar.session is not SessionKind.REGULAR:
            return
        if self._hlc is None:
            self._hlc = (bar.high, bar.low, bar.close)
        else:
            h, lo, _ = self._hlc
            self._hlc = (max(h, bar.high), min(lo, bar.low), bar.close)

    def _rescale(self, factor: float) -> None:
        if self._hlc is not None:
            h, lo, c = self._hlc
            self._hlc = (h * factor, lo * factor, c * factor)
        v = self._value
        if v is not None:
            self._value = PivotValue(*(getattr(v, name) * factor for name in self.outputs))

    def batch(self, bars: BarArrays) -> dict[str, FloatArray]:
        n = len(bars)
        keys = np.arange(n, dtype=np.int64) if parse_timeframe(bars.timeframe).daily else session_keys(bars.start_us,
                                                                                          self.calendar)
        counted = bars.regular if self.regular_only else np.ones(n, dtype=np.bool_)
        hlc = vec.previous_session_hlc(keys, bars.high, bars.low, bars.close, counted)
        p = vec.pivots(hlc.high, hlc.low, hlc.close, self.method)
        return dict(zip(self.outputs, p, strict=True))


def levels(high: float, low: float, close: float, method: str = "classic") -> PivotValue:
    """Pivot levels of one session (same arithmetic as the batch form)."""
    arr = vec.pivots(np.array([high]), np.array([low]), np.array([close]), method)
    return PivotValue(*(float(a[0]) for a in arr))
