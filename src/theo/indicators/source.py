"""Load bar series for the ``theo indicators`` and ``theo corr`` commands: from a file or the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, select

from theo.core.errors import DataError
from theo.indicators.base import BarArrays, BoolArray, IntArray
from theo.persistence.db import transaction
from theo.persistence.models import BarRow
from theo.persistence.types import to_micros


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

    first = session_kinds(start_us, timeframe) == "REGULAR"
    last = session_kinds(np.maximum(end_us - 1, start_us), timeframe) == "REGULAR"
    return np.asarray(first | last, dtype=np.bool_)


def bars_from_store(engine: Engine, symbol: str, timeframe: str, since: datetime | None = None,
                    until: datetime | None = None) -> LoadedBars:
    """Read ``symbol``'s bars of ``timeframe`` from the ``bars`` table, oldest first."""
    q = select(BarRow.start, BarRow.open, BarRow.high, BarRow.low, BarRow.close, BarRow.volume,
               BarRow.session).where(BarRow.symbol == symbol, BarRow.timeframe == timeframe)
    if since is not None:
        q = q.where(BarRow.start >= since)
    if until is not None:
        q = q.where(BarRow.start < until)
    with transaction(engine) as session:
        rows = session.execute(q.order_by(BarRow.start)).all()
    if not rows:
        raise DataError(f"no {timeframe} bars of {symbol} in the store; import some with `theo data import` "
                        "or check the symbol and timeframe")
    bars = BarArrays(
        symbol=symbol, timeframe=timeframe,
        start_us=np.array([to_micros(r[0]) for r in rows], dtype=np.int64),
        open=np.array([r[1] for r in rows], dtype=np.float64),
        high=np.array([r[2] for r in rows], dtype=np.float64),
        low=np.array([r[3] for r in rows], dtype=np.float64),
        close=np.array([r[4] for r in rows], dtype=np.float64),
        volume=np.array([r[5] for r in rows], dtype=np.float64),
        regular=np.array([r[6] == "REGULAR" for r in rows], dtype=np.bool_))
    return LoadedBars(bars, f"store {symbol} {timeframe}")
