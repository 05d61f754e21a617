"""Load bar series for the ``theo indicators`` and ``theo corr`` commands: from a file or the store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

import numpy as np

from theo.core.errors import DataError
from theo.data.adjusted import PreparedBars, prepare_bars
from theo.data.bars.stored import StoredBarColumns
from theo.data.config import BarLimits
from theo.indicators.base import BarArrays, BoolArray, FloatArray, IntArray
from theo.model.enums import Adjustment, SessionKind
from theo.model.reference import CorporateAction


class BarStore(Protocol):
    """Stored bars, read column-wise."""

    def bar_columns(self, symbol: str, timeframe: str, start: datetime | None = None,
                    end: datetime | None = None) -> StoredBarColumns:
        """Bars of ``symbol`` in ``timeframe`` starting in ``[start, end)`` (open-ended when None), oldest first."""
        ...


@dataclass
class LoadedBars:
    """A bar series plus what was left out on the way (shown to the user, never dropped silently) and how its
    prices were adjusted (``prepared.describe()``)."""

    bars: BarArrays
    source: str
    rejected: list[str] = field(default_factory=list)
    prepared: PreparedBars | None = None

    @property
    def adjustment(self) -> str:
        return self.prepared.describe() if self.prepared is not None else f"{self.bars.symbol}: unadjusted"


def symbol_from_path(path: Path) -> str:
    """``SPY`` for ``SPY_1min_2019-02-11_2019-02-15.csv.gz``."""
    return path.name.split("_", 1)[0].split(".", 1)[0].upper()


def bars_from_file(path: str | Path, symbol: str | None = None, timeframe: str | None = None, *,
                   adjust: Adjustment = Adjustment.SPLITS, actions: Sequence[CorporateAction] = (),
                   limits: BarLimits | None = None) -> LoadedBars:
    """Read a bar file (CSV, gzip CSV, Parquet; columns ts, open, high, low, close[, volume][, split_factor]).

    Prices are adjusted for ``actions`` in mode ``adjust`` (see :func:`theo.data.adjusted.prepare_bars`); a
    ``split_factor`` column is the file's own split adjustment (the data README's rule) and replaces the split
    actions. Either way a split is not a fake return or a fake ATR spike.
    """
    from theo.data.files import read_market_file

    p = Path(path)
    sym = symbol or symbol_from_path(p)
    result = read_market_file(p, sym, timeframe=timeframe)
    cols = result.bars
    if cols is None:
        raise DataError(f"{p}: holds {result.kind}, not bars; give a file with columns ts, open, high, low, close")
    rejected = [f"{p}:{r.line} {r.column}={r.value!r}: {r.reason}" for r in result.rejections]
    if len(cols) == 0:
        raise DataError(f"{p}: no usable bars ({len(rejected)} rows rejected)")
    bars = BarArrays(
        symbol=sym, timeframe=cols.timeframe, start_us=cols.start_us.astype(np.int64),
        open=cols.open.astype(np.float64), high=cols.high.astype(np.float64), low=cols.low.astype(np.float64),
        close=cols.close.astype(np.float64), volume=cols.volume.astype(np.float64),
        regular=_overlaps_regular(cols.start_us, cols.end_us(), cols.timeframe))
    factor = None if cols.split_factor is None else cols.split_factor.astype(np.float64)
    return _prepared(bars, str(p), rejected, actions, adjust, limits, factor)


def _prepared(bars: BarArrays, source: str, rejected: list[str], actions: Sequence[CorporateAction],
              adjust: Adjustment, limits: BarLimits | None, file_factor: FloatArray | None = None) -> LoadedBars:
    from theo.data.bars.timeframes import parse_timeframe

    out, prepared = prepare_bars(bars, actions, adjust, limits or BarLimits(),
                                 bar_us=parse_timeframe(bars.timeframe).length_us, file_factor=file_factor)
    if len(out) == 0:
        raise DataError(f"{source}: no usable bars ({prepared.check.count} impossible, {len(rejected)} rows "
                        "rejected)")
    return LoadedBars(out, source, rejected + prepared.check.reasons, prepared)


def _overlaps_regular(start_us: IntArray, end_us: IntArray, timeframe: str) -> BoolArray:
    """Bars that overlap regular hours: Lean's hourly files label the 09:30-10:00 bar 09:00."""
    from theo.data.files_parse import session_kinds

    first = session_kinds(start_us, timeframe) == SessionKind.REGULAR.value
    last = session_kinds(np.maximum(end_us - 1, start_us), timeframe) == SessionKind.REGULAR.value
    return np.asarray(first | last, dtype=np.bool_)


def bars_from_store(store: BarStore, symbol: str, timeframe: str, since: datetime | None = None,
                    until: datetime | None = None, *, adjust: Adjustment = Adjustment.SPLITS,
                    actions: Sequence[CorporateAction] = (), limits: BarLimits | None = None) -> LoadedBars:
    """Read ``symbol``'s bars of ``timeframe`` from the store, oldest first, adjusted for ``actions``."""
    cols = store.bar_columns(symbol, timeframe, since, until)
    if len(cols) == 0:
        raise DataError(f"no {timeframe} bars of {symbol} in the store; import some with `theo data import` "
                        "or check the symbol and timeframe")
    bars = BarArrays(symbol=symbol, timeframe=timeframe, start_us=cols.start_us, open=cols.open, high=cols.high,
                     low=cols.low, close=cols.close, volume=cols.volume, regular=cols.regular)
    return _prepared(bars, f"store {symbol} {timeframe}", [], actions, adjust, limits)
