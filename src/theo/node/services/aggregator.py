"""The aggregator service: the collector's ticks → session-aligned bars and indicators, for everyone but the
trader (the dashboard's charts, the notifier's swing alerts, the store).

Bars are built by the market-data pipeline's :class:`~theo.data.bars.aggregator.BarAggregator` on the
configured timeframes (``[marketdata.bars] timeframes``); the tick time drives it (the watermark closes bars),
so a replay and real time give the same bars. Each closed bar goes out on ``bars.<tf>.<SYM>`` with the id
``bar:<tf>:<SYM>:<start µs>`` and, with ``[marketdata.bars] store``, into the ``bars`` table (idempotent: a
stored bar is kept). ``[services] indicators`` are updated on the bars of ``[services] indicator_timeframes``;
a new swing high or low goes out on ``indicators.swing.<SYM>`` (``SwingEvent``). The ticks are raw, so at a
series' first bar on or after a stored split's ex-date its indicators are put on the split's new basis
(:class:`~theo.node.raw_splits.SeriesSplits`).

The trader does not wait for these bars: it builds its strategies' bars from the same ticks itself (same
code, so the same bars), which keeps a signal a pure function of the tick stream, as in ``theo run``.

Restart: the durable consumer ``aggregator`` knows how far it got; the open bars and indicators are rebuilt
from the stream up to there with nothing published or written (:func:`~theo.node.services.runtime.follow`),
then it goes on. Ids make a bar published twice stored once.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from theo.core.bus.memory import InMemoryBus
from theo.core.calendar import MarketCalendar, get_calendar
from theo.core.clock import SimulatedClock
from theo.core.logging import get_logger
from theo.core.time import to_us
from theo.data.bars.aggregator import BarAggregator
from theo.data.conditions import ConditionFilter
from theo.data.rejection import Rejection
from theo.indicators.registry import IndicatorSet, parse_spec
from theo.model.market import Bar, Tick
from theo.node.raw_splits import SeriesSplits
from theo.node.services.ingest import ENDED
from theo.node.services.runtime import ServiceRuntime, follow, forward

log = get_logger("theo.services.aggregator")


class Aggregator:
    """One aggregator process (see the module docstring)."""

    def __init__(self, rt: ServiceRuntime) -> None:
        from theo.persistence.repositories.corporate_actions import CorporateActionRepository
        from theo.persistence.repositories.market_data import MarketDataRepository

        self.rt = rt
        cfg = rt.config
        self.local = InMemoryBus()
        self.clock = SimulatedClock(datetime(1970, 1, 1, tzinfo=UTC))
        self._calendars: dict[str, MarketCalendar] = {}
        md = cfg.marketdata
        self.bars = BarAggregator(md.bars.timeframes, self.calendar_for, None, self.clock,
                                  timedelta(seconds=md.bars.lateness_seconds), on_bar=self.on_bar,
                                  on_quarantine=self.on_quarantine,
                                  conditions=ConditionFilter.from_config(md.conditions), schedule_timers=False)
        self.repo = MarketDataRepository(rt.store) if md.bars.store else None
        self.spec = cfg.services.indicators
        self.indicator_tfs = set(cfg.services.indicator_timeframes)
        self.indicators: dict[tuple[str, str], IndicatorSet] = {}
        self.splits = SeriesSplits(CorporateActionRepository(rt.store))
        forward(self.local, rt.bus, ("indicators.>",))
        self.replaying = False
        self.pending: list[Bar] = []
        self.published = 0
        self.quarantined = 0

    def calendar_for(self, symbol: str) -> MarketCalendar:
        name = self.rt.config.market.calendar
        cal = self._calendars.get(name)
        if cal is None:
            cal = self._calendars[name] = get_calendar(name, self.rt.config.market)
        return cal

    def on_bar(self, bar: Bar) -> None:
        key = (bar.symbol, bar.timeframe)
        if self.spec.strip() and bar.timeframe in self.indicator_tfs:
            ind = self.indicators.get(key)
            if ind is None:
                ind = self.indicators[key] = IndicatorSet(bar.symbol, bar.timeframe, parse_spec(
                    self.spec, self.calendar_for(bar.symbol)), None if self.replaying else self.local)
            ind.bus = None if self.replaying else self.local  # a rebuild announces nothing again
            self.splits.before(ind, bar)
            ind.update(bar)
        if self.repo is not None:  # also while rebuilding: bars a killed process had not written yet
            self.pending.append(bar)
            if len(self.pending) >= 500:
                self.write()
        if not self.replaying:
            self.rt.bus.publish(f"bars.{bar.timeframe}.{bar.symbol}", bar,
                                msg_id=f"bar:{bar.timeframe}:{bar.symbol}:{to_us(bar.start)}")
            self.published += 1

    def on_quarantine(self, rejection: Rejection) -> None:
        self.quarantined += 1
        if not self.replaying:
            log.warning("aggregator.tick_quarantined", symbol=rejection.tick.symbol, reason=rejection.reason,
                        detail=rejection.detail)

    def write(self) -> None:
        if self.repo is None or not self.pending:
            return
        by_source: dict[str, list[Bar]] = {}
        for b in self.pending:
            by_source.setdefault(b.source, []).append(b)
        self.pending = []
        for source, bars in by_source.items():
            self.repo.write_bars(bars, source)

    def on_tick(self, tick: Tick) -> None:
        if tick.ts > self.clock.now():
            self.clock.move_to(tick.ts)
        self.bars.on_tick(tick)

    def run(self) -> dict[str, Any]:
        last_write = time.monotonic()
        for d, replaying in follow(self.rt, self.rt.options.get("durable") or "aggregator"):
            self.replaying = replaying
            if d.topic == ENDED:
                self.bars.flush()  # the replay is over: its last bars close
                self.write()
            elif d.topic.startswith("ticks.") and isinstance(d.message, Tick):
                self.on_tick(d.message)
            if self.pending and time.monotonic() - last_write >= 1.0:
                self.write()
                last_write = time.monotonic()
        self.write()
        stats = {"bars": self.published, "quarantined": self.quarantined, "ticks": self.bars.ticks_in}
        log.info("aggregator.stopped", **stats)
        return stats


def run(rt: ServiceRuntime) -> int:
    """``theo service run aggregator``."""
    Aggregator(rt).run()
    return 0
