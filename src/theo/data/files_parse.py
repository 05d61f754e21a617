"""Vectorised parsing and row checks behind :mod:`theo.data.files`.

Every check marks the rows it rejects in a boolean mask; a row keeps the first reason it failed. Python
loops run only over rejected rows (to build their quarantine records) and over unique session dates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from theo.core.errors import ImportFileError, TheoError, TimeframeError
from theo.core.time import from_us, to_us
from theo.data.bars.timeframes import Timeframe, parse_timeframe
from theo.data.files_csv import read_csv_table
from theo.model.enums import SessionKind

if TYPE_CHECKING:
    from theo.data.config import InputLimits
    from theo.data.files import RowRejection

ET = ZoneInfo("America/New_York")
_TS_ALIASES = ("timestamp", "time", "datetime", "date")
_SIZE_COLUMNS = {"size", "volume", "bid_size", "ask_size"}
_DATE_ONLY = r"^\d{4}-\d{2}-\d{2}$"
_NAIVE = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$"
_UNIT_US = {"d": 86_400_000_000, "h": 3_600_000_000, "m": 60_000_000, "s": 1_000_000}
_TRUE = ["1", "true", "t", "yes", "y"]


def file_timeframe(tf: str, path: Path) -> Timeframe:
    """The timeframe of the bars of ``path`` (named, given or inferred); refuse a label the parser refuses."""
    try:
        return parse_timeframe(tf)
    except TimeframeError as exc:
        raise ImportFileError(f"{path}: {exc}") from None


def infer_timeframe(start_us: np.ndarray) -> str:
    """The timeframe label of the median spacing between distinct bar starts."""
    starts = np.unique(start_us)
    if starts.shape[0] < 2:
        raise ImportFileError("cannot infer the bar timeframe from fewer than two bars; pass --timeframe")
    step = int(np.median(np.diff(starts)))
    for unit in _UNIT_US:
        if step % _UNIT_US[unit] == 0:
            return f"{step // _UNIT_US[unit]}{unit}"
    raise ImportFileError(f"bar spacing of {step} microseconds is not a whole second; pass --timeframe")


def bar_ends(start_us: np.ndarray, tf: str) -> np.ndarray:
    """Ends of bars; daily bars (labelled by date) end at the next 00:00 New York time (DST-aware)."""
    step = parse_timeframe(tf).step_us
    if step is not None:
        return start_us + step
    idx = pd.to_datetime(start_us, unit="us", utc=True).tz_convert(ET) + pd.DateOffset(days=1)
    return np.asarray(idx.tz_convert(UTC).as_unit("us").asi8, dtype=np.int64)


def session_kinds(start_us: np.ndarray, tf: str) -> np.ndarray:
    """PRE/REGULAR/POST/CLOSED of each bar start on the NYSE calendar; whole-day bars are REGULAR."""
    from theo.core.calendar import get_calendar

    out = np.full(start_us.shape[0], SessionKind.REGULAR.value, dtype=object)
    if parse_timeframe(tf).daily or start_us.shape[0] == 0:
        return out
    local = pd.to_datetime(start_us, unit="us", utc=True).tz_convert(ET)
    days, inverse = np.unique(np.asarray(local.date), return_inverse=True)
    cal = get_calendar("XNYS")
    bounds = np.full((days.shape[0], 4), np.iinfo(np.int64).max, dtype=np.int64)
    for i, d in enumerate(days):
        try:
            s = cal.session(d)
        except TheoError:
            s = None
        if s is not None:
            bounds[i] = [to_us(s.pre_open), to_us(s.open), to_us(s.close), to_us(s.post_close)]
    b = bounds[inverse]
    out[:] = SessionKind.CLOSED.value
    out[(start_us >= b[:, 0]) & (start_us < b[:, 1])] = SessionKind.PRE.value
    out[(start_us >= b[:, 1]) & (start_us < b[:, 2])] = SessionKind.REGULAR.value
    out[(start_us >= b[:, 2]) & (start_us < b[:, 3])] = SessionKind.POST.value
    return out


def read_table(path: Path) -> tuple[pa.Table, np.ndarray, list[RowRejection]]:
    """All columns (strings for CSV), the source line of each row, and rows with a wrong field count."""
    if path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except (pa.ArrowException, OSError) as exc:
            raise ImportFileError(f"{path}: not a readable Parquet file ({exc})") from None
        return _normalise_names(path, table), np.arange(2, table.num_rows + 2, dtype=np.int64), []
    table, lines, rejections = read_csv_table(path)
    return _normalise_names(path, table), lines, rejections


def _normalise_names(path: Path, table: pa.Table) -> pa.Table:
    names = [str(n).strip().lower() for n in table.column_names]
    for j, name in enumerate(names):
        if name in names[:j]:
            i = names.index(name)
            raise ImportFileError(f"{path}: line 1 (header), column {j + 1}: column {name!r} appears twice "
                                  f"(columns {i + 1} and {j + 1}); rename or remove one, nothing was imported")
    if "ts" not in names:
        for alias in _TS_ALIASES:
            if alias in names:
                names[names.index(alias)] = "ts"
                break
    if "ts" not in names:
        header = ",".join(table.column_names)
        shown = header if len(header) <= 80 else header[:77] + "..."  # a text file's first line can be long
        raise ImportFileError(f"{path}: no 'ts' column in header {shown!r}; the first line must name the "
                              "columns, e.g. ts,price,size (ticks) or ts,open,high,low,close (bars)")
    return table.rename_columns(names)


def detect_kind(path: Path, names: list[str]) -> Literal["ticks", "bars", "quotes"]:
    """Ticks, quotes or bars from the header; refuse an unknown layout."""
    cols = set(names)
    if {"price", "size"} <= cols:
        return "ticks"
    if {"bid", "bid_size", "ask", "ask_size"} <= cols:
        return "quotes"
    if {"open", "high", "low", "close"} <= cols:
        return "bars"
    raise ImportFileError(
        f"{path}: unknown layout {','.join(names)}; expected ts,price,size[,exchange,condition,suspicious] "
        "(ticks), ts,bid,bid_size,ask,ask_size (quotes) or ts,open,high,low,close[,volume] (bars)")


@dataclass
class _Check:
    rows: np.ndarray
    column: str
    reason: str
    detail: Callable[[int], str]


class RowChecks:
    """Accumulate per-row rejections over one table; the first failing check of a row wins."""

    def __init__(self, path: Path, table: pa.Table, lines: np.ndarray, early: list[RowRejection],
                 limits: InputLimits) -> None:
        self.path, self.table, self.lines, self.limits = path, table, lines, limits
        self.bad = np.zeros(table.num_rows, dtype=bool)
        self.daily = False
        self._checks: list[_Check] = []
        self._early = early

    def has(self, column: str) -> bool:
        return column in self.table.column_names

    def reject(self, mask: np.ndarray, column: str, reason: str, detail: Callable[[int], str] | str) -> None:
        """Reject the rows of ``mask`` not rejected yet."""
        new = mask & ~self.bad
        if new.any():
            fn = detail if callable(detail) else (lambda _i, d=detail: d)
            self._checks.append(_Check(np.flatnonzero(new), column, reason, fn))
            self.bad |= new

    def good(self) -> np.ndarray:
        return ~self.bad

    def _strings(self, column: str) -> pa.ChunkedArray:
        col = self.table.column(column)
        return pc.utf8_trim_whitespace(col) if pa.types.is_string(col.type) else col

    def _missing(self, col: pa.ChunkedArray, column: str) -> np.ndarray:
        empty = pc.is_null(col)
        if pa.types.is_string(col.type):
            empty = pc.or_(empty, pc.equal(col, ""))
        mask = np.asarray(pc.fill_null(empty, True).to_numpy(zero_copy_only=False), dtype=bool)
        self.reject(mask, column, "missing_field", f"{column} is empty")
        return mask

    def timestamps(self, tz: str | None, *, daily_ok: bool) -> np.ndarray:
        """UTC microseconds of ``ts`` (0 where rejected)."""
        col = self._strings("ts")
        n = self.table.num_rows
        missing = self._missing(col, "ts")
        if pa.types.is_timestamp(col.type):
            zone = col.type.tz or self._zone(tz, col, missing, "a timestamp type without a timezone")
            parsed = pd.Series(pd.to_datetime(col.to_pandas()))
            if not col.type.tz:
                parsed = parsed.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
            return self._store(*_series_us(parsed), missing)
        if not pa.types.is_string(col.type):
            raise ImportFileError(f"{self.path}: column ts has type {col.type}; expected text or a timestamp")
        filled = pc.fill_null(col, "")
        date_only = np.asarray(pc.match_substring_regex(filled, _DATE_ONLY).to_numpy(zero_copy_only=False))
        naive = np.asarray(pc.match_substring_regex(filled, _NAIVE).to_numpy(zero_copy_only=False)) & ~missing
        offset = ~missing & ~naive  # an explicit offset, or garbage that fails to parse below
        if daily_ok and date_only[~missing].all() and (~missing).any():
            self.daily = True
            zone = self._zone(tz, col, ~missing, "no UTC offset") if tz else ET  # session dates are exchange-local
            dates = pd.to_datetime(pd.Series(filled.to_numpy(zero_copy_only=False)), format="%Y-%m-%d",
                                   errors="coerce")
            return self._store(*_series_us(dates.dt.tz_localize(zone)), missing)
        if naive.any():
            self._zone(tz, col, naive, "no UTC offset")
        out = np.zeros(n, dtype=np.int64)
        valid = np.zeros(n, dtype=bool)
        if offset.any():
            rows = np.flatnonzero(offset)
            out[rows], valid[rows] = self._parse_offset(filled if offset.all() else filled.take(pa.array(rows)))
        if naive.any():
            rows = np.flatnonzero(naive)
            raw = pd.Series(filled.take(pa.array(rows)).to_numpy(zero_copy_only=False))
            local = pd.to_datetime(raw, format="ISO8601", errors="coerce")
            out[rows], valid[rows] = _series_us(
                local.dt.tz_localize(ZoneInfo(str(tz)), ambiguous="NaT", nonexistent="NaT"))
        return self._store(out, valid, missing)

    def _zone(self, tz: str | None, col: pa.ChunkedArray, rows: np.ndarray, what: str) -> ZoneInfo:
        if tz is None:
            i = int(np.flatnonzero(rows)[0]) if rows.any() else 0
            raise ImportFileError(
                f"{self.path}: ts value {col[i].as_py()!r} on line {int(self.lines[i])} has {what}; pass "
                "--tz ZONE (for example --tz America/New_York) or write explicit UTC offsets")
        try:
            return ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ImportFileError(f"unknown timezone {tz!r}; use an IANA name such as America/New_York") \
                from None

    @staticmethod
    def _parse_offset(strings: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
        try:  # fast path: Arrow's ISO-8601 parser honours explicit offsets
            arr = pc.cast(pc.cast(strings, pa.timestamp("us", tz="UTC")), pa.int64())
            return np.asarray(arr.to_numpy(), dtype=np.int64), np.ones(len(strings), dtype=bool)
        except pa.ArrowException:
            raw = pd.Series(strings.to_numpy(zero_copy_only=False))
            return _series_us(pd.to_datetime(raw, format="ISO8601", utc=True, errors="coerce"))

    def _store(self, out: np.ndarray, valid: np.ndarray, missing: np.ndarray) -> np.ndarray:
        self.reject(~valid & ~missing, "ts", "unparsable_timestamp",
                    "not an ISO-8601 timestamp (or a local time that does not exist in that timezone)")
        return np.where(valid, out, 0)

    def number(self, column: str, *, positive: bool = False, non_negative: bool = False,
               optional: bool = False, size: bool = False) -> np.ndarray:
        """Float64 values of ``column`` (0 where rejected); absent optional columns read as 0."""
        n = self.table.num_rows
        if not self.has(column):
            if optional:
                return np.zeros(n, dtype=np.float64)
            raise ImportFileError(f"{self.path}: required column {column!r} is missing")
        col = self._strings(column)
        missing = self._missing(col, column)
        if pa.types.is_string(col.type):
            filled = pc.fill_null(col, "")
            try:
                values = np.asarray(pc.cast(pc.if_else(missing, "0", filled), pa.float64()).to_numpy(),
                                    dtype=np.float64)
            except pa.ArrowException:
                raw = pd.Series(filled.to_numpy(zero_copy_only=False))
                values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
                literal = raw.str.lower().str.lstrip("+-").isin(["nan", "inf", "infinity"]).to_numpy()
                self.reject(np.isnan(values) & ~literal & ~missing, column, "unparsable_number",
                            f"{column} is not a number")
        else:
            values = np.asarray(pc.fill_null(pc.cast(col, pa.float64()), 0.0).to_numpy(), dtype=np.float64)
        self.reject(~np.isfinite(values), column, "nan_or_inf", f"{column} is NaN or infinite")
        if positive:
            self.reject(values <= 0, column, "non_positive_price", f"{column} must be > 0")
        if non_negative:
            reason = "negative_size" if size or column in _SIZE_COLUMNS else "non_positive_price"
            self.reject(values < 0, column, reason, f"{column} must be >= 0")
        return np.where(self.bad, 0.0, values)

    def time_window(self, ts_us: np.ndarray) -> None:
        """Reject timestamps before ``limits.earliest`` or more than ``max_ahead_seconds`` after now."""
        lo, hi = self.limits.window_us()
        self.reject(~self.bad & ((ts_us < lo) | (ts_us > hi)), "ts", "timestamp_out_of_range",
                    lambda i: f"{_iso(int(ts_us[i]))} is outside {_iso(lo)} .. {_iso(hi)} "
                              "([marketdata.validation] earliest, max_ahead_seconds)")

    def prices(self, values: np.ndarray, column: str, *, zero_ok: bool = False) -> np.ndarray:
        """Reject implausible prices (outside [min_price, max_price]) and prices off the increment grid."""
        lim = self.limits
        open_ = ~self.bad & ~((values == 0) if zero_ok else np.zeros(values.shape[0], dtype=bool))
        self.reject(open_ & ((values < lim.min_price) | (values > lim.max_price)), column, "implausible_price",
                    lambda i: f"{column} {values[i]!r} is outside {lim.min_price:g} .. {lim.max_price:g} "
                              "([marketdata.validation] min_price, max_price)")
        if lim.price_increment > 0:
            with np.errstate(invalid="ignore", over="ignore"):
                steps = values / lim.price_increment
                off = np.abs(steps - np.round(steps)) > 1e-3
            self.reject(~self.bad & off, column, "off_tick_price",
                        lambda i: f"{column} {values[i]!r} is not a multiple of {lim.price_increment:g} "
                                  "([marketdata.validation] price_increment)")
        return np.where(self.bad, 0.0, values)

    def sizes(self, values: np.ndarray, column: str) -> np.ndarray:
        """Reject sizes above ``max_size`` and, unless fractional sizes are allowed, sizes that are not whole."""
        lim = self.limits
        self.reject(~self.bad & (values > lim.max_size), column, "implausible_size",
                    lambda i: f"{column} {values[i]!r} is above {lim.max_size:g} ([marketdata.validation] max_size)")
        if not lim.fractional_sizes:
            self.reject(~self.bad & (np.abs(values - np.round(values)) > 1e-9), column, "fractional_size",
                        lambda i: f"{column} {values[i]!r} is not a whole number of shares or contracts "
                                  "(set [marketdata.validation] fractional_sizes = true for such a feed)")
        return np.where(self.bad, 0.0, values)

    def both_sides_empty(self, bid: np.ndarray, ask: np.ndarray) -> None:
        self.reject((bid <= 0) & (ask <= 0), "bid", "non_positive_price", "neither bid nor ask has a price")

    def order(self, ts_us: np.ndarray, tolerance_us: int, *, strict: bool = False) -> None:
        """Reject rows earlier than the latest accepted row by more than the tolerance (strict: not after)."""
        idx = np.flatnonzero(~self.bad)
        if idx.shape[0] < 2:
            return
        t = ts_us[idx]
        # A row that is out of order never raises the running maximum, so the maximum over all good rows
        # equals the maximum over the rows that stay accepted.
        prev = np.concatenate((t[:1], np.maximum.accumulate(t)[:-1]))
        late = (t <= prev) if strict else (t < prev - tolerance_us)
        late[0] = False
        mask = np.zeros(self.bad.shape[0], dtype=bool)
        mask[idx[late]] = True
        prev_of = dict(zip(idx[late].tolist(), prev[late].tolist(), strict=True))
        what = "does not start after" if strict else f"is more than {tolerance_us} us before"

        def detail(i: int) -> str:
            return f"{_iso(int(ts_us[i]))} {what} the latest earlier row at {_iso(prev_of[i])}"

        self.reject(mask, "ts", "out_of_order", detail)

    def text(self, column: str) -> np.ndarray:
        """Object array of str ("" when the column or value is absent)."""
        if not self.has(column):
            return np.full(self.table.num_rows, "", dtype=object)
        col = pc.cast(self.table.column(column), pa.string())
        return np.asarray(pc.fill_null(pc.utf8_trim_whitespace(col), "").to_numpy(zero_copy_only=False),
                          dtype=object)

    def flag(self, column: str) -> np.ndarray:
        if not self.has(column):
            return np.zeros(self.table.num_rows, dtype=bool)
        col = pc.utf8_lower(pc.utf8_trim_whitespace(pc.cast(self.table.column(column), pa.string())))
        return np.asarray(pc.fill_null(pc.is_in(col, pa.array(_TRUE)), False).to_numpy(), dtype=bool)

    def finish(self, ts_us: np.ndarray) -> list[RowRejection]:
        """Every rejection (read-level and per-row) ordered by line."""
        from theo.data.files import RowRejection

        out = list(self._early)
        names = self.table.column_names
        ts_bad: set[int] = set()
        for c in self._checks:
            if c.column == "ts" and c.reason != "out_of_order":
                ts_bad.update(c.rows.tolist())
        for check in self._checks:
            rows = pa.array(check.rows)
            taken = [pc.cast(self.table.column(c).take(rows), pa.string()).to_pylist() for c in names]
            pos = names.index(check.column) if check.column in names else -1
            ts_ok = check.column != "ts" or check.reason == "out_of_order"
            for k, i in enumerate(check.rows.tolist()):
                values = ["" if col[k] is None else col[k] for col in taken]
                out.append(RowRejection(int(self.lines[i]), check.column, values[pos] if pos >= 0 else "",
                                        check.reason, check.detail(i), ",".join(values),
                                        int(ts_us[i]) if ts_ok and i not in ts_bad else None))
        out.sort(key=lambda r: r.line)
        return out


def _series_us(parsed: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """UTC microseconds and a validity mask of a timezone-aware datetime Series (NaT is invalid)."""
    naive = parsed.dt.tz_convert(UTC).dt.tz_localize(None)
    values = naive.to_numpy(dtype="datetime64[us]").view(np.int64)
    valid = ~np.isnat(naive.to_numpy(dtype="datetime64[us]"))
    return np.where(valid, values, 0), valid


def _iso(us: int) -> str:
    try:
        return from_us(us).isoformat()
    except OverflowError:  # a year before 1 or after 9999 (e.g. ts "-1") still needs a readable detail
        return f"{us} microseconds from 1970-01-01T00:00:00+00:00"


__all__ = ["ET", "RowChecks", "bar_ends", "detect_kind", "file_timeframe", "infer_timeframe", "read_table",
           "session_kinds"]
