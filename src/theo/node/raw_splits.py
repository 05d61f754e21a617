"""Stored splits for the strategies of a paper or live run, whose bars arrive raw from the feed.

A backtest reads adjusted series (``theo.node.data``), but a running feed delivers prices as traded: on an
ex-date the previous session's close is on the old basis. Two things follow here:

* the strategies' quality gates learn the splits still inside the raw bars they will see, so the split
  day is not refused as a crash (``Strategy.use_raw_splits``);
* a session that crosses an ex-date puts what its strategies hold on the new basis before the day's first
  bar (:class:`SplitWatch`, ``Strategy.apply_split``): prices times the split's factor, volumes divided by
  it, exactly as backward adjustment (``theo.data.adjust``) rescales the bars before the ex-date. From the
  ex-date on, the indicators, windows and signals are then those of a start on adjusted history.

The store's actions are read again at the start of every ET day, so a split imported while the run is
live (``theo data actions import``) is picked up by the next session. :class:`SeriesSplits` does the same for
indicator sets fed raw bars outside the node: the aggregator service's and the notifier's swing alerts'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from theo.core.calendar import et_date
from theo.core.logging import get_logger
from theo.data.adjust import effective, split_factor
from theo.data.corporate_actions import CorporateActionStore
from theo.indicators.registry import IndicatorSet
from theo.model.enums import Adjustment
from theo.model.market import Bar
from theo.node.kernel import Node

log = get_logger("theo.node.splits")

Splits = dict[str, list[tuple[date, float]]]


def stored_splits(symbols: list[str], actions: CorporateActionStore) -> Splits:
    """Per symbol, each stored split's ex-date and price factor (as adjustment applies it), oldest first."""
    splits: Splits = {}
    for symbol in symbols:
        steps = [(a.ex_date, float(f)) for a in effective(actions.actions(symbol), Adjustment.SPLITS)
                 if (f := split_factor(a)) is not None]
        if steps:
            splits[symbol] = steps
    return splits


@dataclass
class SplitWatch:
    """Puts a running node's strategies on a split's new basis when a session day is its ex-date.

    ``since``: the day the raw feed starts after, when what came before it was adjusted already (a live run
    warms up on IBKR's adjusted history up to today); ``None`` when every bar the node sees is raw (paper).
    """

    node: Node
    actions: CorporateActionStore
    since: date | None = None
    splits: Splits = field(default_factory=dict)
    applied: list[str] = field(default_factory=list)  # "SYMBOL EX-DATE xFACTOR", for the run's counters
    _day: date | None = None

    def start(self) -> Splits:
        """Read the stored splits, give the strategies those still inside the raw bars, watch the days."""
        self.splits = stored_splits(self.node.symbols, self.actions)
        self._give(self.since)
        self.node.on_day = self.on_day
        return self.splits

    def _give(self, after: date | None) -> None:
        """The strategies' gates get the splits after ``after``: those still inside the raw bars to come."""
        ahead = {s: [(ex, f) for ex, f in steps if after is None or ex > after]
                 for s, steps in self.splits.items()}
        ahead = {s: steps for s, steps in ahead.items() if steps}
        for strategy in self.node.strategies:
            strategy.use_raw_splits(ahead)

    def on_day(self, day: date) -> None:
        """The first event of ET day ``day``: re-read the actions, apply the splits whose ex-date was reached."""
        last, self._day = self._day, day
        if last is None or day <= last:
            return  # the first day: nothing is held from before it
        known = self.splits
        self.splits = stored_splits(self.node.symbols, self.actions)
        if self.splits != known:
            self._give(last if self.since is None else max(last, self.since))
        for symbol, steps in self.splits.items():
            for ex, factor in steps:
                if self.since is not None and ex <= self.since:
                    continue
                if last < ex <= day:
                    self._apply(symbol, ex, factor)
                elif ex <= last and (ex, factor) not in known.get(symbol, ()):
                    log.warning("split.missed", symbol=symbol, ex_date=ex.isoformat(), factor=factor,
                                note="imported after the run crossed its ex-date: the strategies' windows mix "
                                     "old and new prices until they pass it; restart the run to rebuild them")

    def _apply(self, symbol: str, ex: date, factor: float) -> None:
        unable = [s.name for s in self.node.strategies if not s.apply_split(symbol, ex, factor)]
        self.applied.append(f"{symbol} {ex.isoformat()} x{factor:g}")
        log.info("split.applied", symbol=symbol, factor=factor, ex_date=ex.isoformat())
        if unable:
            log.warning("split.not_applied", symbol=symbol, ex_date=ex.isoformat(), strategies=unable,
                        note="these strategies cannot rescale what they hold: their windows mix old and new "
                             "prices until they pass the ex-date")


@dataclass
class SeriesSplits:
    """Puts indicator sets fed raw bars on a split's new basis at their first bar on or after its ex-date.

    Call :meth:`before` with each bar before the set is updated with it. A set's first bar of a new ET day
    rescales it by the factor of every stored split whose ex-date lies after the day of its previous bar and
    not after the new one (as :class:`SplitWatch` does for strategies); a set that has seen no bar holds
    nothing to rescale. The store is read once per symbol and ET day, so a split imported while the process
    runs is applied if it was stored before the ex-date's first bar.
    """

    actions: CorporateActionStore
    applied: list[str] = field(default_factory=list)  # "SYMBOL TF EX-DATE xFACTOR"
    _day: date | None = None
    _splits: Splits = field(default_factory=dict)  # the stored splits read on ``_day``
    _seen: dict[tuple[str, str], date] = field(default_factory=dict)  # per series, the last day checked

    def before(self, indicators: IndicatorSet, bar: Bar) -> None:
        key, day = (indicators.symbol, indicators.timeframe), et_date(bar.start)
        if indicators.last_bar is None:  # nothing held yet
            self._seen[key] = day
            return
        last = self._seen.get(key, et_date(indicators.last_bar.start))
        if day <= last:
            return
        self._seen[key] = day  # once per day, even when the bar itself is then refused
        if self._day is None or day > self._day:
            self._day, self._splits = day, {}
        steps = self._splits.get(bar.symbol)
        if steps is None:
            steps = self._splits[bar.symbol] = stored_splits([bar.symbol], self.actions).get(bar.symbol, [])
        for ex, factor in steps:
            if last < ex <= day:
                indicators.rescale(factor)
                self.applied.append(f"{bar.symbol} {bar.timeframe} {ex.isoformat()} x{factor:g}")
                log.info("split.applied", symbol=bar.symbol, timeframe=bar.timeframe, factor=factor,
                         ex_date=ex.isoformat())


def watch_splits(node: Node, actions: CorporateActionStore, since: date | None = None) -> SplitWatch:
    """Start a :class:`SplitWatch` on ``node`` (see there); return it."""
    watch = SplitWatch(node, actions, since)
    watch.start()
    return watch
