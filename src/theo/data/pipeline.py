"""The market-data path of one process, wired once: gate → ``ticks.<SYM>`` → latency → bars → recorder.

``MarketDataPipeline.on_event`` is the handler to give a feed (``feed.run(pipeline.on_event, stop)``) or to
call for each event of ``feed.events()`` in a backtest. The clock drives bar closing and gap detection:
:meth:`on_time` is scheduled on it every second of clock time while the pipeline runs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from theo.core.bus import MessageBus
from theo.core.calendar import MarketCalendar
from theo.core.clock import Clock
from theo.data.bars.aggregator import BarAggregator
from theo.data.conditions import ConditionFilter
from theo.data.config import MarketDataConfig
from theo.data.gate import QualityGate
from theo.data.latency import LatencyMonitor
from theo.data.recorder import Recorder, RecordingStore
from theo.data.rejection import Rejection
from theo.model.market import Bar, Quote, Tick


class MarketDataPipeline:
    """Gate, publish, measure, aggregate and (with a store) record every tick."""

    def __init__(self, config: MarketDataConfig, clock: Clock, bus: MessageBus,
                 calendar_for: Callable[[str], MarketCalendar], store: RecordingStore | None = None, *,
                 on_reject: Callable[[Rejection], None] | None = None) -> None:
        """``on_reject`` observes every rejected or quarantined tick (the collector counts them by reason)."""
        self.config = config
        self.on_reject = on_reject
        self.clock = clock
        self.bus = bus
        self.recorder = Recorder(store, store_bars=config.bars.store) if store is not None else None
        if self.recorder is not None:
            self.recorder.attach(bus)
        self.rejected: list[Rejection] = []
        self.gate = QualityGate(config.gate, clock, calendar_for, bus, self._on_reject)
        self.latency = LatencyMonitor(timedelta(seconds=config.latency.window_seconds))
        self.bars = BarAggregator(config.bars.timeframes, calendar_for, bus, clock,
                                  timedelta(seconds=config.bars.lateness_seconds),
                                  on_quarantine=self._on_reject,
                                  conditions=ConditionFilter.from_config(config.conditions))
        self._timer: int | None = None

    def start(self) -> None:
        """Run gap detection every second and log latency periodically, on the clock."""
        self._timer = self.clock.call_later(timedelta(seconds=1), self._tick_timer)
        self.latency.start_logging(self.clock, timedelta(seconds=self.config.latency.log_every_seconds))

    def stop(self, *, flush_bars: bool = True) -> None:
        """Cancel the timers, close open bars and write what is buffered.

        ``flush_bars=False`` leaves bars that are not complete yet unpublished (a collector stopped mid-bar must
        not store a partial bar under the key a later, complete one would need)."""
        if self._timer is not None:
            self.clock.cancel(self._timer)
            self._timer = None
        self.latency.stop_logging(self.clock)
        if flush_bars:
            self.bars.flush()
        if self.recorder is not None:
            self.recorder.flush()

    def on_event(self, event: Tick | Bar | Quote) -> None:
        """Take one feed event: ticks go through the whole path; quotes and bars are published as they are."""
        if isinstance(event, Tick):
            self.on_tick(event)
        elif isinstance(event, Quote):
            self.bus.publish(f"quotes.{event.symbol}", event)
        else:
            self.bus.publish(f"bars.{event.timeframe}.{event.symbol}", event)

    def on_tick(self, tick: Tick) -> None:
        ok = self.gate.check(tick)
        if ok is None:
            return
        if ok.received is not None:
            self.latency.record(ok.source, ok.symbol, ok.ts, ok.received)
        self.bus.publish(f"ticks.{ok.symbol}", ok)
        if self.recorder is not None:
            self.recorder.on_tick(ok)
        self.bars.on_tick(ok)

    def on_time(self, now: datetime) -> None:
        self.gate.on_time(now)
        self.bars.on_time(now)

    def _tick_timer(self, when: datetime) -> None:
        self.on_time(when)
        self._timer = self.clock.call_at(when + timedelta(seconds=1), self._tick_timer)

    def _on_reject(self, rejection: Rejection) -> None:
        if self.on_reject is not None:
            self.on_reject(rejection)
        if len(self.rejected) < 10_000:  # recent ones for inspection; all of them go to the recorder
            self.rejected.append(rejection)
        if self.recorder is not None:
            self.recorder.on_quarantine(rejection)
