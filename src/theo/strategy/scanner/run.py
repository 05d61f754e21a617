"""Run strategies and scanners over historical bars, bar by bar, as the live engine would.

Bars of every subscription are merged in time order (by bar end; a longer timeframe first at equal ends,
then by symbol) and handed to each strategy; each signal goes through the scanners bound to its strategy
(or, with none bound, is taken as a one-share virtual signal). Bars before ``start`` warm the indicators
up but their signals are not kept; bars after ``end`` are not read. The same data and configuration give
the same records, in the same order, every time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from theo.config.schema import TheoConfig
from theo.core.calendar import MarketCalendar, get_calendar
from theo.core.errors import ConfigError, DataError, OrderValidationError
from theo.data.adjust import effective, split_factor
from theo.data.adjusted import PreparedBars
from theo.data.bars.batch import rollup
from theo.data.bars.timeframes import check_rollup, parse_timeframe
from theo.data.config import BarLimits
from theo.model.enums import Adjustment
from theo.model.market import Bar
from theo.model.reference import CorporateAction
from theo.model.signals import Signal
from theo.strategy.base import Strategy
from theo.strategy.library.correlation import CorrelationStrategy
from theo.strategy.library.correlation_config import CorrelationStrategyConfig
from theo.strategy.scanner.records import SignalRecord, validate_record
from theo.strategy.scanner.scanner import Scanner, default_record

if TYPE_CHECKING:
    from theo.data.files import BarColumns


class SignalSink(Protocol):
    """Where a scan keeps its records (``theo.persistence.signals.SignalStore`` in the database)."""

    @property
    def duplicates(self) -> Sequence[tuple[str, str, str, datetime]]:
        """Keys of the records refused so far because an equal one is already kept."""
        ...

    def register_strategy(self, name: str, type_: str, config: Mapping[str, Any] | None = None) -> int:
        """Record the strategy ``name`` with its configuration; return its id."""
        ...

    def add_many(self, records: Iterable[SignalRecord]) -> Sequence[object]:
        """Keep ``records`` in one transaction, skipping duplicates; return what was kept."""
        ...


@dataclass
class ScanResult:
    """What a run produced: accepted records in order, and every signal that was not kept, with why."""

    records: list[SignalRecord] = field(default_factory=list)
    duplicates: int = 0
    rejected: list[tuple[Signal, str]] = field(default_factory=list)
    refused: dict[str, Counter[str]] = field(default_factory=dict)
    warmup_signals: int = 0
    bars: int = 0
    stored: int = 0
    file_rejections: dict[str, int] = field(default_factory=dict)
    unused: list[str] = field(default_factory=list)  # data symbols no enabled strategy subscribes to
    strategies: list[str] = field(default_factory=list)  # the strategies run, in config order
    found: Counter[str] = field(default_factory=Counter)  # signals each strategy found (before the scanners)
    rules: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)  # scanner -> rule -> (held, tried)
    prepared: dict[str, PreparedBars] = field(default_factory=dict)  # how each symbol's prices were adjusted


def load_bars(data: Mapping[str, Path], needs: set[tuple[str, str]], calendar: MarketCalendar | None = None,
              prepared: dict[str, PreparedBars] | None = None, *, adjust: Adjustment = Adjustment.SPLITS,
              actions: Mapping[str, Sequence[CorporateAction]] | None = None, limits: BarLimits | None = None,
              ) -> tuple[dict[tuple[str, str], list[Bar]], dict[str, int]]:
    """Read each symbol's file once and build the ``(symbol, timeframe)`` series ``needs`` asks for.

    Impossible bars are left out and prices adjusted for ``actions`` in mode ``adjust`` (as every reader
    does, :func:`theo.data.adjusted.prepare_bars`); what was done per symbol goes to ``prepared``. A coarser
    timeframe than the file's is rolled up session-aligned (:func:`theo.data.bars.batch.rollup`); one that
    cannot be built from the file's bars is refused by :func:`check_rollup`.
    """
    from theo.data.adjusted import prepare_bars
    from theo.data.files import read_market_file

    cal = calendar or get_calendar()
    series: dict[tuple[str, str], list[Bar]] = {}
    rejections: dict[str, int] = {}
    base: dict[str, tuple[BarColumns, list[Bar]]] = {}
    for symbol, tf in sorted(needs):
        if symbol not in data:
            raise ConfigError(f"no data for symbol {symbol!r}; pass --data {symbol}=PATH")
        if symbol not in base:
            result = read_market_file(data[symbol], symbol)
            if result.bars is None:
                raise DataError(f"{data[symbol]}: holds {result.kind}, not bars; pass a bar file for {symbol}")
            raw = result.bars
            cols, done = prepare_bars(raw, (actions or {}).get(symbol, ()), adjust, limits or BarLimits(),
                                      bar_us=parse_timeframe(raw.timeframe).length_us, file_factor=raw.split_factor)
            if prepared is not None:
                prepared[symbol] = done
            base[symbol] = (cols, cols.to_bars(source=str(data[symbol])))
            rejections[symbol] = len(result.rejections) + done.check.count
        cols, bars = base[symbol]
        have = parse_timeframe(cols.timeframe)
        if have.step_us == parse_timeframe(tf).step_us:
            series[(symbol, tf)] = bars
            continue
        check_rollup(have, parse_timeframe(tf), f"{symbol} ({data[symbol]})", cal)
        series[(symbol, tf)] = rollup(symbol, cols.start_us, cols.end_us(), cols.open, cols.high, cols.low,
                                      cols.close, cols.volume, tf, cal, source=have).to_bars(str(data[symbol]))
    return series, rejections


def build_strategy(cfg: Any, extra_rules: Sequence[Any] = ()) -> Strategy:
    """The strategy object of one strategy configuration; scanner rules add indicators to a correlation one."""
    if isinstance(cfg, CorrelationStrategyConfig):
        return CorrelationStrategy(cfg, extra_rules)
    from theo.strategy.registry import build_strategy as build_other

    return build_other(cfg)


def run_scan(config: TheoConfig, data: Mapping[str, Path], *, start: datetime | None = None,
             end: datetime | None = None, store: SignalSink | None = None,
             actions: Mapping[str, Sequence[CorporateAction]] | None = None) -> ScanResult:
    """Run every enabled strategy and its scanners over ``data`` (symbol → bar file), prices adjusted for
    ``actions`` as ``[marketdata] adjust`` says."""
    result = ScanResult()
    calendar = get_calendar(config.market.calendar, config.market)
    scanners: dict[str, list[Scanner]] = {}
    for d in config.scanner.scanners:
        scanners.setdefault(d.strategy, []).append(Scanner(d, config.market, calendar, config.scanner.user))
    strategies: list[Strategy] = []
    for cfg in config.strategies:
        if not cfg.enabled:
            continue
        extra = [r for s in scanners.get(cfg.name, []) for r in (*s.entry_rules, *s.exit_rules)]
        strategies.append(build_strategy(cfg, extra))
    if not strategies:
        raise ConfigError("no enabled strategy to scan; add a [[strategies]] block to the config")
    needs = {sub for s in strategies for sub in s.subscriptions}
    mode = config.marketdata.adjustment
    series, result.file_rejections = load_bars(data, needs, calendar, result.prepared, adjust=mode,
                                               actions=actions, limits=config.marketdata.bar_limits)
    if not mode.splits:  # raw prices: the gates must not read a split as a crash
        splits = {sym: [(a.ex_date, float(f)) for a in effective(acts, Adjustment.SPLITS)
                        if (f := split_factor(a)) is not None] for sym, acts in (actions or {}).items()}
        for strategy in strategies:
            strategy.use_raw_splits({k: v for k, v in splits.items() if v})
    result.unused = sorted(set(data) - {symbol for symbol, _ in needs})
    events: list[tuple[datetime, float, int, int, Bar]] = []
    order = {sym: i for i, sym in enumerate(sorted({s for s, _ in needs}))}
    for (symbol, tf), bars in series.items():
        secs = -parse_timeframe(tf).length.total_seconds()
        events += [(b.end, secs, order[symbol], i, b) for i, b in enumerate(bars) if end is None or b.start < end]
    events.sort(key=lambda e: e[:4])
    result.bars = len(events)
    seen: set[tuple[str, str, str, datetime]] = set()
    seen_at: set[tuple[str, str, datetime]] = set()  # the table's UNIQUE (user, strategy, symbol, created_at)
    for strategy in strategies:
        strategy.reset()
        for s in scanners.get(strategy.name, []):
            s.reset()
    subs = {s.name: set(s.subscriptions) for s in strategies}
    last_eval: dict[str, Any] = {}

    def take(strategy: Strategy, signal: Signal) -> None:
        if start is not None and signal.ts <= start:
            result.warmup_signals += 1
            return
        result.found[strategy.name] += 1
        values = getattr(strategy, "values", None)
        bound = scanners.get(strategy.name, [])
        records: list[SignalRecord] = []
        for s in bound:
            try:
                record = s.accept(signal, values)
            except OrderValidationError as exc:
                result.rejected.append((signal, str(exc)))
                continue
            if record is not None:
                records.append(record)
        if not bound:
            try:
                records.append(validate_record(default_record(signal, config.scanner.user, calendar)))
            except OrderValidationError as exc:
                result.rejected.append((signal, str(exc)))
        for record in records:
            at = (record.strategy, record.symbol, record.created_at)
            if record.key in seen or at in seen_at:
                result.duplicates += 1
                continue
            seen.add(record.key)
            seen_at.add(at)
            result.records.append(record)

    for _, _, _, _, bar in events:
        for strategy in strategies:
            if (bar.symbol, bar.timeframe) not in subs[strategy.name]:
                continue
            for signal in strategy.on_bar(bar):
                take(strategy, signal)
            evaluated = getattr(strategy, "last_evaluated", None)
            if evaluated is not None and evaluated != last_eval.get(strategy.name):
                last_eval[strategy.name] = evaluated
                for s in scanners.get(strategy.name, []):
                    for signal in s.exits(evaluated, bar.timeframe, getattr(strategy, "values", {}), strategy.name):
                        take(strategy, signal)
    for strategy in strategies:
        flush = getattr(strategy, "flush", None)
        if flush is not None:
            for signal in flush():
                take(strategy, signal)
    result.refused = {s.d.name: s.refused for group in scanners.values() for s in group}
    result.strategies = [s.name for s in strategies]
    result.rules = {s.d.name: {r.expression: (s.rule_held[r.expression], s.rule_tried[r.expression])
                               for r in (*s.entry_rules, *s.exit_rules)}
                    for group in scanners.values() for s in group}
    if store is not None:
        for cfg in config.strategies:
            store.register_strategy(cfg.name, cfg.type, cfg.model_dump(mode="json"))
        before = len(store.duplicates)
        result.stored = len(store.add_many(result.records))
        result.duplicates += len(store.duplicates) - before
    return result
