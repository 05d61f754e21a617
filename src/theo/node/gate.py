"""The market-data quality gate in the engine: the same rules for a backtest's tick columns and for the ticks
`theo run` receives one by one (``theo.data.gate``); rejected ticks are counted and logged with their
reason, never dropped silently."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import numpy as np

from theo.config import TheoConfig
from theo.core.calendar import get_calendar
from theo.core.clock import SimulatedClock
from theo.core.logging import get_logger
from theo.data.rejection import Rejection
from theo.model.market import Tick
from theo.model.series import BarSeries

log = get_logger(__name__)


def _log_rejection(rejection: Rejection) -> None:
    tick = rejection.tick
    log.warning("tick.rejected", symbol=tick.symbol, ts=tick.ts.isoformat(), price=tick.price, size=tick.size,
                reason=rejection.reason, detail=rejection.detail)


class EngineGate:
    """Wraps :class:`theo.data.gate.QualityGate` with a clock that follows the data's own time."""

    def __init__(self, config: TheoConfig, start: datetime) -> None:
        from theo.data.gate import QualityGate

        calendar = get_calendar(config.market.calendar, config.market)
        self.clock = SimulatedClock(start)
        self.gate = QualityGate(config.marketdata.gate, self.clock, lambda _symbol: calendar,
                                on_reject=_log_rejection)
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
