"""Load bar series for the ``theo indicators`` and ``theo corr`` commands: from a file or the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

import numpy as np

from theo.core.errors import DataError
from theo.data.bars.stored import StoredBarColumns
from theo.indicators.base import BarArrays, BoolArray, IntArray
from theo.model.enums import SessionKind


class BarStore(Protocol):
    """Stored bars, read column-wise."""

    def bar_columns(self, symbol: str, timeframe: str, start: datetime | None = None,
                    end: datetime | None = None) -> StoredBarColumns:
        """Bars of ``symbol`` in ``timeframe`` starting in ``[start, end)`` (open-ended when None), oldest first."""
        ...


@dataclass
class LoadedBars:
    """A bar series plus what was left out on the way (shown to the user, never dropped silently)."""

    bars: BarArrays
    source: str
    rejected: list[str] = field(default_factory=list)
    split_adjusted: bool = False


def symbol_from_path(path: Path) -> str:
    """``SPY`` for ``SPY_1min_2019-02-11_2019-02-15.csv.gz``."""
    return path.name.split("_", 1)[0].split(".", 1)[0].upper()


def bars_from_file(path: str | Path, symbol: str | None = None, timeframe: str | None = None, *,
                   adjust_splits: bool = True) -> LoadedBars:
    """Read a bar file (CSV, gzip CSV, Parquet; columns ts, open, high, low, close[, volume][, split_factor]).

    With ``adjust_splits`` and a ``split_factor`` column, prices are multiplied by it (the data README's
    rule), so a split is not a fake return or a fake ATR spike.
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
    factor = cols.split_factor if adjust_splits and cols.split_factor is not None else None
    f = factor if factor is not None else np.ones(len(cols))
    bars = BarArrays(
        symbol=sym, timeframe=cols.timeframe, start_us=cols.start_us.astype(np.int64),
        open=cols.open * f, high=cols.high * f, low=cols.low * f, close=cols.close * f,
        volume=cols.volume / f, regular=_overlaps_regular(cols.start_us, cols.end_us(), cols.timeframe))
    return LoadedBars(bars, str(p), rejected, factor is not None)


def _overlaps_regular(start_us: IntArray, end_us: IntArray, timeframe: str) -> BoolArray:
    """Bars that overlap regular hours: Lean's hourly files label the 09:30-10:00 bar 09:00."""
    from theo.data.files_parse import session_kinds

    first = session_kinds(start_us, timeframe) == SessionKind.REGULAR.value
    last = session_kinds(np.maximum(end_us - 1, start_us), timeframe) == SessionKind.REGULAR.value
    return np.asarray(first | last, dtype=np.bool_)


def bars_from_store(store: BarStore, symbol: str, timeframe: str, since: datetime | None = None,
                    until: datetime | None = None) -> LoadedBars:
    """Read ``symbol``'s bars of ``timeframe`` from the store, oldest first."""
    cols = store.bar_columns(symbol, timeframe, since, until)
    if len(cols) == 0:
        raise DataError(f"no {timeframe} bars of {symbol} in the store; import some with `theo data import` "
                        "or check the symbol and timeframe")
    bars = BarArrays(symbol=symbol, timeframe=timeframe, start_us=cols.start_us, open=cols.open, high=cols.high,
                     low=cols.low, close=cols.close, volume=cols.volume, regular=cols.regular)
    return LoadedBars(bars, f"store {symbol} {timeframe}")
