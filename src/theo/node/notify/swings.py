"""New swing highs and lows on the bus: the strategies compute SH/SL for themselves and publish nothing, so the
notifier keeps its own :class:`~theo.indicators.registry.IndicatorSet` per (symbol, timeframe) the
swing strategies trade, with their ``swing_left``/``swing_right``, and lets it publish
``indicators.swing.<SYM>``.

Claims go through the ``swing_points`` table (:class:`~theo.indicators.journal.StoredSwingJournal`), so a
restarted run that warms up on bars it already saw announces nothing twice. The bars are raw, so with the
store's corporate actions a series' first bar on or after a split's ex-date puts its swings on the split's
new basis first (:class:`~theo.node.raw_splits.SeriesSplits`).
"""

from __future__ import annotations

from typing import Any

from theo.config import TheoConfig
from theo.core.bus.base import MessageBus, Subscription
from theo.core.errors import DataError
from theo.core.logging import get_logger
from theo.data.corporate_actions import CorporateActionStore
from theo.indicators.journal import StoredSwingJournal, SwingJournal
from theo.indicators.registry import IndicatorSet
from theo.indicators.swings import Swings
from theo.model.market import Bar
from theo.node.raw_splits import SeriesSplits

log = get_logger(__name__)


def swing_series(config: TheoConfig) -> dict[tuple[str, str], tuple[int, int]]:
    """(symbol, timeframe) → (left, right) of every enabled strategy with swing settings."""
    out: dict[tuple[str, str], tuple[int, int]] = {}
    for s in config.strategies:
        left, right = getattr(s, "swing_left", None), getattr(s, "swing_right", None)
        if not s.enabled or left is None or right is None:
            continue
        tf = getattr(s, "indicator_timeframe", None) or s.timeframe
        symbols = [getattr(s, "primary", "")] + [c.symbol for c in getattr(s, "correlated", [])]
        for sym in filter(None, symbols):
            out.setdefault((str(sym), str(tf)), (int(left), int(right)))
    return out


class SwingWatch:
    """Feed it bars (:meth:`on_bar`, or subscribe it to ``bars.>``); it publishes swing changes on ``bus``."""

    def __init__(self, config: TheoConfig, bus: MessageBus, journal: SwingJournal | None = None,
                 actions: CorporateActionStore | None = None) -> None:
        self.bus = bus
        journal = journal if journal is not None else SwingJournal()
        self.sets = {key: IndicatorSet(key[0], key[1], [Swings(left, right)], bus, journal)
                     for key, (left, right) in swing_series(config).items()}
        self.splits = SeriesSplits(actions) if actions is not None else None
        self._sub: Subscription | None = None

    @classmethod
    def stored(cls, config: TheoConfig, bus: MessageBus, store: Any) -> SwingWatch:
        from theo.persistence.repositories.corporate_actions import CorporateActionRepository
        from theo.persistence.repositories.swings import SwingPointRepository

        return cls(config, bus, StoredSwingJournal(SwingPointRepository(store)), CorporateActionRepository(store))

    def on_bar(self, bar: Bar) -> None:
        """Update the series of ``bar``; a bar not after the series' last one (a replay) is skipped."""
        s = self.sets.get((bar.symbol, bar.timeframe))
        if s is None or (s.last_bar is not None and bar.start <= s.last_bar.start):
            return
        try:
            if self.splits is not None:
                self.splits.before(s, bar)
            s.update(bar)
        except DataError:  # a malformed bar: the swings of this series wait for the next good one
            log.warning("notify.swing_bar_skipped", symbol=bar.symbol, timeframe=bar.timeframe,
                        start=bar.start.isoformat())

    def attach(self) -> None:
        if self.sets:
            self._sub = self.bus.subscribe("bars.>", lambda _t, bar: self.on_bar(bar))

    def detach(self) -> None:
        if self._sub is not None:
            self.bus.unsubscribe(self._sub)
            self._sub = None
