"""Read tick, quote and bar files (CSV, gzip CSV, Parquet) into validated NumPy columns.

Layouts follow ``../shared/data/README.md``: a ``ts`` column plus ``price,size[,exchange,condition,
suspicious]`` (trade ticks), ``bid,bid_size,ask,ask_size,...`` (quotes) or ``open,high,low,close[,volume]
[,split_factor]`` (bars). Parsing is vectorised (pyarrow); only rejected rows are visited one by one.

A bad row never stops the file: it is returned as a :class:`RowRejection` (line, column, value, stable
reason) and the rest is kept. Lines are 1-based with the header on line 1; Parquet rows are numbered the
same way (first row = line 2). Ticks the provider flags as suspicious are kept with ``suspicious=True``:
the consumer decides (the importer quarantines them with reason ``provider_suspicious``).

Daily files carry session dates: a ``1d`` bar starts at 00:00 America/New_York of its session date and
ends at 00:00 of the next calendar day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from theo.core.errors import ImportFileError
from theo.core.time import from_us
from theo.data import files_parse as fp
from theo.data.config import InputLimits
from theo.model.enums import SessionKind
from theo.model.market import Bar, Tick

Kind = Literal["ticks", "bars", "quotes"]

# Stable rejection reasons (quarantine.reason); documented in docs/import.md.
UNPARSABLE_TIMESTAMP = "unparsable_timestamp"
UNPARSABLE_NUMBER = "unparsable_number"
NAN_OR_INF = "nan_or_inf"
NON_POSITIVE_PRICE = "non_positive_price"
NEGATIVE_SIZE = "negative_size"
OUT_OF_ORDER = "out_of_order"
MISSING_FIELD = "missing_field"
MALFORMED_ROW = "malformed_row"
PROVIDER_SUSPICIOUS = "provider_suspicious"
TIMESTAMP_OUT_OF_RANGE = "timestamp_out_of_range"
IMPLAUSIBLE_PRICE = "implausible_price"
OFF_TICK_PRICE = "off_tick_price"
IMPLAUSIBLE_SIZE = "implausible_size"
FRACTIONAL_SIZE = "fractional_size"
LINE_TOO_LONG = "line_too_long"
NOT_UTF8 = "not_utf8"


@dataclass
class TickColumns:
    """One symbol's trade ticks in file order; every array has the same length."""

    symbol: str
    ts_us: np.ndarray  # int64 UTC microseconds
    price: np.ndarray  # float64
    size: np.ndarray  # float64
    exchange: np.ndarray  # str ("" when absent)
    condition: np.ndarray  # str ("" when absent)
    suspicious: np.ndarray  # bool
    line: np.ndarray  # int64, 1-based line in the source (header = line 1)

    def __len__(self) -> int:
        return int(self.ts_us.shape[0])

    def select(self, mask: np.ndarray) -> TickColumns:
        """The ticks where ``mask`` (bool array or index array) selects."""
        return TickColumns(self.symbol, self.ts_us[mask], self.price[mask], self.size[mask],
                           self.exchange[mask], self.condition[mask], self.suspicious[mask], self.line[mask])

    def head(self, n: int) -> TickColumns:
        """The first ``n`` ticks."""
        return self.select(np.arange(min(n, len(self))))

    def to_ticks(self, source: str = "") -> list[Tick]:
        """Domain :class:`Tick` objects in file order."""
        return [
            Tick(self.symbol, from_us(t), float(p), float(s), source, str(e), str(c))
            for t, p, s, e, c in zip(self.ts_us.tolist(), self.price.tolist(), self.size.tolist(),
                                     self.exchange.tolist(), self.condition.tolist(), strict=True)
        ]


@dataclass
class BarColumns:
    """One symbol's bars of one timeframe, labelled by start, in file order."""

    symbol: str
    timeframe: str
    start_us: np.ndarray  # int64 UTC microseconds
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    line: np.ndarray
    split_factor: np.ndarray | None = None  # kept for adjustment by the reader; stored prices stay raw

    def __len__(self) -> int:
        return int(self.start_us.shape[0])

    def end_us(self) -> np.ndarray:
        """Bar ends: start + timeframe; daily bars end at the next 00:00 New York time (DST-aware)."""
        return fp.bar_ends(self.start_us, self.timeframe)

    def sessions(self) -> np.ndarray:
        """The NYSE session part (PRE/REGULAR/POST/CLOSED) of each bar start; daily bars are REGULAR."""
        return fp.session_kinds(self.start_us, self.timeframe)

    def to_bars(self, source: str = "") -> list[Bar]:
        """Domain :class:`Bar` objects in file order."""
        ends = self.end_us().tolist()
        kinds = self.sessions().tolist()
        return [
            Bar(self.symbol, self.timeframe, from_us(s), from_us(e), float(o), float(h), float(lo), float(c),
                float(v), 0, SessionKind(k), source)
            for s, e, o, h, lo, c, v, k in zip(self.start_us.tolist(), ends, self.open.tolist(),
                                                self.high.tolist(), self.low.tolist(), self.close.tolist(),
                                                self.volume.tolist(), kinds, strict=True)
        ]


@dataclass
class QuoteColumns:
    """One symbol's quote updates in file order (a side that did not change may be 0)."""

    symbol: str
    ts_us: np.ndarray
    bid: np.ndarray
    bid_size: np.ndarray
    ask: np.ndarray
    ask_size: np.ndarray
    line: np.ndarray

    def __len__(self) -> int:
        return int(self.ts_us.shape[0])


@dataclass(frozen=True)
class RowRejection:
    """One rejected row: where it is, which field failed, the raw value and a stable reason."""

    line: int
    column: str
    value: str
    reason: str
    detail: str = ""
    raw: str = ""
    ts_us: int | None = None


@dataclass
class ReadResult:
    """What one file held: the accepted rows as columns, and every rejected row."""

    path: Path
    kind: Kind
    timeframe: str | None
    ticks: TickColumns | None
    bars: BarColumns | None
    quotes: QuoteColumns | None
    rejections: list[RowRejection] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Rows accepted into the columns."""
        cols = self.ticks if self.ticks is not None else self.bars if self.bars is not None else self.quotes
        return len(cols) if cols is not None else 0


_FILE_TF = re.compile(r"_(\d+)(s|sec|min|m|h|hour|d|day)(?=[_.])", re.IGNORECASE)
_TF_UNIT = {"s": "s", "sec": "s", "min": "m", "m": "m", "h": "h", "hour": "h", "d": "d", "day": "d"}


def timeframe_from_name(path: Path) -> str | None:
    """``1m`` for ``SPY_1min_...``, ``1h`` for ``_1h_``, ``1d`` for ``_1d_``; None when absent."""
    m = _FILE_TF.search(path.name)
    return f"{int(m.group(1))}{_TF_UNIT[m.group(2).lower()]}" if m else None


def read_market_file(path: str | Path, symbol: str, *, tz: str | None = None, timeframe: str | None = None,
                     out_of_order_tolerance_us: int = 1_000_000, limits: InputLimits | None = None,
                     ) -> ReadResult:
    """Read and validate one market-data file.

    ``tz`` is needed only when ``ts`` values carry no UTC offset (explicit offsets always win); daily
    session dates are read in New York time. ``timeframe`` overrides the one inferred from the file
    name or the median bar spacing. A tick or quote earlier than the latest accepted one by more than
    ``out_of_order_tolerance_us`` is rejected ``out_of_order``; a bar must start after the previous one.
    Rows outside ``limits`` (default :class:`InputLimits`: timestamps from 1990 to a day after now,
    plausible prices on a $0.0001 grid, whole sizes) are rejected before the order check, so one row
    dated 9999 does not make every later row ``out_of_order``.
    Raise :class:`ImportFileError` when the whole file is unusable.
    """
    p = Path(path)
    if not p.is_file():
        raise ImportFileError(f"{p}: no such file; check the path")
    if timeframe is not None:
        fp.file_timeframe(timeframe, p)  # refuse a bad label before reading the file
    table, lines, rejections = fp.read_table(p)
    kind = fp.detect_kind(p, table.column_names)
    builder = fp.RowChecks(p, table, lines, rejections, limits or InputLimits())
    ts_us = builder.timestamps(tz, daily_ok=kind == "bars")
    builder.time_window(ts_us)
    if kind == "ticks":
        return _ticks(p, symbol, builder, ts_us, out_of_order_tolerance_us)
    if kind == "quotes":
        return _quotes(p, symbol, builder, ts_us, out_of_order_tolerance_us)
    return _bars(p, symbol, builder, ts_us, timeframe)


def _ticks(p: Path, symbol: str, b: fp.RowChecks, ts_us: np.ndarray, tol: int) -> ReadResult:
    price = b.prices(b.number("price", positive=True), "price")
    size = b.sizes(b.number("size", non_negative=True), "size")
    b.order(ts_us, tol)
    keep = b.good()
    exch, cond = b.text("exchange"), b.text("condition")
    susp = b.flag("suspicious")
    cols = TickColumns(symbol, ts_us[keep], price[keep], size[keep], exch[keep], cond[keep], susp[keep],
                       b.lines[keep])
    return ReadResult(p, "ticks", None, cols, None, None, b.finish(ts_us))


def _quotes(p: Path, symbol: str, b: fp.RowChecks, ts_us: np.ndarray, tol: int) -> ReadResult:
    # One side of a quote update may be 0 (unchanged); only negative prices and sizes are wrong.
    bid = b.prices(b.number("bid", non_negative=True), "bid", zero_ok=True)
    bid_size = b.sizes(b.number("bid_size", non_negative=True, size=True), "bid_size")
    ask = b.prices(b.number("ask", non_negative=True), "ask", zero_ok=True)
    ask_size = b.sizes(b.number("ask_size", non_negative=True, size=True), "ask_size")
    b.both_sides_empty(bid, ask)
    b.order(ts_us, tol)
    keep = b.good()
    cols = QuoteColumns(symbol, ts_us[keep], bid[keep], bid_size[keep], ask[keep], ask_size[keep],
                        b.lines[keep])
    return ReadResult(p, "quotes", None, None, None, cols, b.finish(ts_us))


def _bars(p: Path, symbol: str, b: fp.RowChecks, ts_us: np.ndarray, timeframe: str | None) -> ReadResult:
    o, h = b.prices(b.number("open", positive=True), "open"), b.prices(b.number("high", positive=True), "high")
    lo, c = b.prices(b.number("low", positive=True), "low"), b.prices(b.number("close", positive=True), "close")
    vol = b.sizes(b.number("volume", non_negative=True, optional=True), "volume")
    split = b.number("split_factor", positive=True, optional=True) if b.has("split_factor") else None
    b.order(ts_us, 0, strict=True)
    keep = b.good()
    tf = timeframe or ("1d" if b.daily else timeframe_from_name(p)) or fp.infer_timeframe(ts_us[keep])
    fp.file_timeframe(tf, p)
    cols = BarColumns(symbol, tf, ts_us[keep], o[keep], h[keep], lo[keep], c[keep], vol[keep], b.lines[keep],
                      split[keep] if split is not None else None)
    return ReadResult(p, "bars", tf, None, cols, None, b.finish(ts_us))


__all__ = [
    "FRACTIONAL_SIZE", "IMPLAUSIBLE_PRICE", "IMPLAUSIBLE_SIZE", "LINE_TOO_LONG", "MALFORMED_ROW", "MISSING_FIELD",
    "NAN_OR_INF", "NEGATIVE_SIZE", "NON_POSITIVE_PRICE", "NOT_UTF8", "OFF_TICK_PRICE", "OUT_OF_ORDER",
    "PROVIDER_SUSPICIOUS", "TIMESTAMP_OUT_OF_RANGE", "UNPARSABLE_NUMBER", "UNPARSABLE_TIMESTAMP", "BarColumns",
    "QuoteColumns", "ReadResult", "RowRejection", "TickColumns", "read_market_file", "timeframe_from_name",
]
