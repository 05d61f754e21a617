"""Market data of a backtest: files (through the validating reader) or the database, cut to a date range."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from theo.config import TheoConfig
from theo.core.calendar import ET
from theo.core.errors import DataError
from theo.core.time import from_us, to_us
from theo.data.bars.stored import StoredBarColumns
from theo.data.config import BarLimits
from theo.model.columns import F64
from theo.model.enums import Adjustment
from theo.model.reference import CorporateAction
from theo.model.series import BarSeries
from theo.model.symbols import parse_symbol
from theo.node.config import DataFile

if TYPE_CHECKING:
    from theo.data.corporate_actions_join import ActionSource

_SYMBOL = re.compile(r"^([A-Za-z][A-Za-z0-9.]*)_")


@dataclass
class MarketData:
    """Execution series per symbol (bars, or ticks as zero-length bars), in the order the files were given.

    ``adjustment`` says how each series' prices were adjusted; ``raw_splits`` are the splits still inside the
    raw prices (unadjusted mode), which the strategies' quality gates must not read as crashes.
    """

    series: dict[str, BarSeries]
    kind: str  # "bars" | "ticks"
    rejected: int = 0
    notes: list[str] = field(default_factory=list)
    mode: Adjustment = Adjustment.NONE
    adjustment: dict[str, str] = field(default_factory=dict)
    raw_splits: dict[str, list[tuple[date, float]]] = field(default_factory=dict)

    def prepare(self, actions: Mapping[str, Sequence[CorporateAction]], mode: Adjustment, limits: BarLimits,
                file_factors: Mapping[str, F64] | None = None) -> MarketData:
        """Leave out impossible bars and adjust every series for ``actions`` in ``mode`` (in place)."""
        from theo.data.adjust import effective, split_factor
        from theo.data.adjusted import prepare_bars

        self.mode = mode
        for symbol, s in list(self.series.items()):
            mine = actions.get(symbol, ())
            bar_us = int(np.max(s.end_us - s.start_us)) if len(s) else 0
            out, prepared = prepare_bars(s, mine, mode, limits, bar_us=bar_us,
                                         file_factor=(file_factors or {}).get(symbol))
            if len(out) == 0:
                raise DataError(f"{symbol}: every bar is impossible ({prepared.notes[0]}); check the data")
            self.series[symbol] = out
            self.rejected += prepared.check.count
            self.notes += prepared.notes
            self.adjustment[symbol] = prepared.describe()
            if not mode.splits:
                steps = [(a.ex_date, float(f)) for a in effective(mine, Adjustment.SPLITS)
                         if (f := split_factor(a)) is not None]
                if steps:
                    self.raw_splits[symbol] = steps
        self.notes.append("prices: " + " | ".join(self.adjustment.values()))
        return self

    @property
    def symbols(self) -> list[str]:
        return list(self.series)

    @property
    def items(self) -> int:
        return sum(len(s) for s in self.series.values())


def symbol_of(path: Path) -> str:
    """The symbol a file name starts with (``SPY_1min_...csv.gz`` gives ``SPY``)."""
    m = _SYMBOL.match(path.name)
    if m is None:
        raise DataError(f"{path}: cannot tell the symbol from the file name; pass it as SYMBOL=PATH")
    return parse_symbol(m.group(1), what=f"symbol of file {path.name!r}")


def parse_data_arg(arg: str) -> DataFile:
    """``PATH`` or ``SYMBOL=PATH`` from the command line."""
    if "=" in arg and not Path(arg).exists():
        symbol, path = arg.split("=", 1)
        return DataFile(path=Path(path), symbol=parse_symbol(symbol, what=f"in {arg!r}, symbol"))
    return DataFile(path=Path(arg))


def _window(start: date | None, end: date | None) -> tuple[int, int]:
    lo = to_us(datetime.combine(start, time(0), tzinfo=ET)) if start else np.iinfo(np.int64).min
    hi = np.iinfo(np.int64).max
    if end:
        nxt = date.fromordinal(end.toordinal() + 1)
        hi = to_us(datetime.combine(nxt, time(0), tzinfo=ET))
    return int(lo), int(hi)


def load_files(files: Sequence[DataFile], start: date | None = None, end: date | None = None,
               config: TheoConfig | None = None,
               actions: Mapping[str, Sequence[CorporateAction]] | None = None) -> MarketData:
    """Read every file (ticks or bars, never mixed), keep items whose New York date is in [start, end].

    Trade ticks also pass the quality gate of ``config`` (the rules ``theo run`` applies tick by tick). Prices
    are adjusted as ``config`` says (``[marketdata] adjust``) for ``actions`` (or a file's ``split_factor``
    column); impossible bars are left out with a note.
    """
    from theo.data.files import read_market_file

    if not files:
        raise DataError("no market data: give --data FILE (or [engine.backtest] data in the config)")
    lo, hi = _window(start, end)
    series: dict[str, BarSeries] = {}
    factors: dict[str, F64] = {}
    kinds: set[str] = set()
    rejected = 0
    notes: list[str] = []
    for f in files:
        symbol = f.symbol or symbol_of(f.path)
        if symbol in series:
            raise DataError(f"{f.path}: symbol {symbol} is given twice; one file per symbol")
        result = read_market_file(f.path, symbol, limits=config.marketdata.validation if config else None)
        rejected += len(result.rejections)
        if result.rejections:
            notes.append(f"{f.path.name}: {len(result.rejections)} rows rejected by the reader "
                         f"(first: line {result.rejections[0].line}, {result.rejections[0].reason})")
        if result.ticks is not None:
            t = result.ticks
            keep = ~t.suspicious & (t.ts_us >= lo) & (t.ts_us < hi)
            dropped = int(t.suspicious.sum())
            if dropped:
                rejected += dropped
                notes.append(f"{f.path.name}: {dropped} ticks flagged suspicious by the provider were skipped")
            s = BarSeries.from_ticks(symbol, t.ts_us[keep].astype(np.int64), t.price[keep].astype(np.float64),
                                     t.size[keep].astype(np.float64))
            if config is not None and len(s):
                from theo.node.gate import EngineGate

                s, reasons = EngineGate(config, from_us(int(s.start_us[0]))).filter_series(s)
                if reasons:
                    rejected += sum(reasons.values())
                    notes.append(f"{f.path.name}: the quality gate rejected {reasons}")
            kinds.add("ticks")
        elif result.bars is not None:
            b = result.bars
            end_us = b.end_us()
            keep = (b.start_us >= lo) & (b.start_us < hi)
            s = BarSeries(symbol, b.timeframe, b.start_us[keep].astype(np.int64), end_us[keep].astype(np.int64),
                          b.open[keep].astype(np.float64), b.high[keep].astype(np.float64),
                          b.low[keep].astype(np.float64), b.close[keep].astype(np.float64),
                          b.volume[keep].astype(np.float64))
            if b.split_factor is not None:
                factors[symbol] = b.split_factor[keep].astype(np.float64)
            kinds.add("bars")
        else:
            raise DataError(f"{f.path}: holds quotes; a backtest needs trade ticks or bars")
        if len(s) == 0:
            raise DataError(f"{f.path}: no rows between {start or 'the start'} and {end or 'the end'}; "
                            f"check --from/--to")
        series[symbol] = s
    if len(kinds) > 1:
        raise DataError("the files mix ticks and bars; backtest one kind at a time")
    data = MarketData(series, kinds.pop(), rejected, notes)
    return data.prepare(actions or {}, _mode(config), _limits(config), factors)


def _mode(config: TheoConfig | None) -> Adjustment:
    return config.marketdata.adjustment if config is not None else Adjustment.SPLITS


def _limits(config: TheoConfig | None) -> BarLimits:
    return config.marketdata.bar_limits if config is not None else BarLimits()


@runtime_checkable
class BarStore(Protocol):
    """Stored bars, read column-wise."""

    def bar_columns(self, symbol: str, timeframe: str, start: datetime | None = None,
                    end: datetime | None = None) -> StoredBarColumns:
        """Bars of ``symbol`` in ``timeframe`` starting in ``[start, end)`` (open-ended when None), oldest first."""
        ...


def load_database(bars: BarStore, symbols: Sequence[str], timeframe: str,
                  start: date | None = None, end: date | None = None, config: TheoConfig | None = None,
                  actions: Mapping[str, Sequence[CorporateAction]] | None = None, *,
                  history: ActionSource | None = None) -> MarketData:
    """Bars of ``symbols`` in ``timeframe`` from the store (New York dates ``start``..``end``, both included),
    adjusted for ``actions`` as ``config`` says.

    With ``history`` (the corporate action store) and an adjusting mode, each series continues the stored
    bars of the tickers it had before a symbol change and is adjusted for the actions of all of them
    (:mod:`theo.data.corporate_actions_join`); ``actions`` is then read from it. Unadjusted reads join nothing.
    """
    if history is not None and _mode(config) is not Adjustment.NONE:
        from theo.data.corporate_actions_join import JoinedHistory

        joined = JoinedHistory(bars, history, _mode(config))
        bars, actions = joined, joined.adjusting(symbols)
    lo = datetime.combine(start, time(0), tzinfo=ET) if start else None  # the New York dates of _window
    hi = datetime.combine(date.fromordinal(end.toordinal() + 1), time(0), tzinfo=ET) if end else None
    series: dict[str, BarSeries] = {}
    for symbol in symbols:
        cols = bars.bar_columns(symbol, timeframe, lo, hi)
        if len(cols) == 0:
            raise DataError(f"database: no {timeframe} bars of {symbol} in the range; import data first "
                            f"(theo data import) or check --from/--to")
        series[symbol] = BarSeries(symbol, timeframe, cols.start_us, cols.end_us, cols.open, cols.high, cols.low,
                                   cols.close, cols.volume)
    return MarketData(series, "bars").prepare(actions or {}, _mode(config), _limits(config))
