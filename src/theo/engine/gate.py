"""The market-data quality gate in the engine: the same rules for a backtest's tick columns and for the ticks
`theo run` receives one by one (``theo.marketdata.gate``); rejected ticks are counted, never dropped silently."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import numpy as np

from theo.calendar import get_calendar
from theo.clock import SimulatedClock
from theo.config import TheoConfig
from theo.domain.market import Tick
from theo.engine.series import BarSeries


class EngineGate:
    """Wraps :class:`theo.marketdata.gate.QualityGate` with a clock that follows the data's own time."""

    def __init__(self, config: TheoConfig, start: datetime) -> None:
        from theo.marketdata.gate import QualityGate

        calendar = get_calendar(config.market.calendar, config.market)
        self.clock = SimulatedClock(start)
        self.gate = QualityGate(config.marketdata.gate, self.clock, lambda _symbol: calendar)
        self.rejected: Counter[str] = Counter()

    def check(self, tick: Tick) -> Tick | None:
        if tick.ts > self.clock.now():
            self.clock.advance_to(tick.ts)
        passed = self.gate.check(tick)
        if passed is None:
            self.rejected[tick.symbol] += 1
        return passed

    def filter_series(self, series: BarSeries) -> tuple[BarSeries, dict[str, int]]:
        """Keep the ticks of ``series`` (a tick series) that pass; return the kept series and reasons counted."""
        keep, reasons = self.gate.check_columns(series.symbol, series.start_us, series.close, series.volume)
        counts = dict(sorted(Counter(reasons[~keep].tolist()).items()))
        if keep.all():
            return series, counts
        idx = np.flatnonzero(keep)
        return BarSeries.from_ticks(series.symbol, series.start_us[idx], series.close[idx], series.volume[idx]), counts
