"""Historical bars: request windows (endDateTime/duration), RTH filter, resampling and date formats."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tests.fakes.tws.contracts import EASTERN

_UNIT_SECONDS = {"sec": 1, "min": 60, "hour": 3600, "day": 86400, "week": 7 * 86400, "month": 30 * 86400}
_DURATION_SECONDS = {"S": 1, "D": 86400, "W": 7 * 86400, "M": 30 * 86400, "Y": 365 * 86400}


@dataclass
class Bar:
    """One OHLCV bar; ``start`` is the bar's opening time (aware, UTC)."""

    start: dt.datetime
    open: float
    high: float
    low: float
    close: float
    volume: float
    wap: float | None = None
    count: int = 1

    @classmethod
    def from_tuple(cls, row: tuple[object, ...]) -> Bar:
        """(datetime_utc, o, h, l, c, v[, wap[, count]]) -> Bar."""
        start = row[0]
        assert isinstance(start, dt.datetime)
        if start.tzinfo is None:
            start = start.replace(tzinfo=dt.UTC)
        nums = [float(x) for x in row[1:6]]  # type: ignore[arg-type]
        wap = float(row[6]) if len(row) > 6 and row[6] is not None else None  # type: ignore[arg-type]
        count = int(row[7]) if len(row) > 7 else 1  # type: ignore[call-overload]
        return cls(start.astimezone(dt.UTC), *nums, wap=wap, count=count)

    def average(self) -> float:
        """WAP, defaulting to the typical price."""
        return self.wap if self.wap is not None else round((self.high + self.low + self.close) / 3, 6)


def bar_size_seconds(setting: str) -> tuple[int, str]:
    """("5 mins") -> (300, "min"); the unit tells how bars are grouped (day/week/month by Eastern date)."""
    parts = setting.strip().lower().split()
    n = int(parts[0]) if parts and parts[0].isdigit() else 1
    unit = parts[-1].rstrip("s") if parts else "min"
    unit = {"second": "sec", "minute": "min", "hr": "hour"}.get(unit, unit)
    return n * _UNIT_SECONDS.get(unit, 60), unit


def duration_seconds(text: str) -> int:
    """("2 D") -> seconds."""
    parts = text.strip().upper().split()
    if len(parts) != 2 or not parts[0].isdigit():
        return 86400
    return int(parts[0]) * _DURATION_SECONDS.get(parts[1], 86400)


def bucket_key(start: dt.datetime, seconds: int, unit: str) -> tuple[int, ...]:
    """Group key of a timestamp for a bar size."""
    local = start.astimezone(EASTERN)
    if unit == "day":
        return (local.year, local.month, local.day)
    if unit == "week":
        iso = local.isocalendar()
        return (iso.year, iso.week)
    if unit == "month":
        return (local.year, local.month)
    epoch = int(start.timestamp())
    return (epoch - epoch % seconds,)


def resample(bars: list[Bar], seconds: int, unit: str) -> list[Bar]:
    """Aggregate finer bars into the requested size (identity when they already match)."""
    out: list[Bar] = []
    keys: list[tuple[int, ...]] = []
    for bar in bars:
        key = bucket_key(bar.start, seconds, unit)
        if keys and keys[-1] == key:
            last = out[-1]
            pv = last.average() * last.volume + bar.average() * bar.volume
            last.high, last.low, last.close = max(last.high, bar.high), min(last.low, bar.low), bar.close
            last.volume += bar.volume
            last.wap = round(pv / last.volume, 6) if last.volume else last.close
            last.count += bar.count
        else:
            start = bar.start
            if unit not in {"day", "week", "month"}:
                start = dt.datetime.fromtimestamp(key[0], dt.UTC)
            out.append(Bar(start, bar.open, bar.high, bar.low, bar.close, bar.volume, bar.wap, bar.count))
            keys.append(key)
    return out


def in_rth(start: dt.datetime) -> bool:
    """Regular trading hours of US equities (09:30-16:00 Eastern, weekdays)."""
    local = start.astimezone(EASTERN)
    minutes = local.hour * 60 + local.minute
    return local.weekday() < 5 and 570 <= minutes < 960


def select(bars: list[Bar], end: dt.datetime, duration: str, bar_size: str, use_rth: bool) -> list[Bar]:
    """Bars of a historical request: window [end - duration, end), RTH filter, resampled."""
    seconds, unit = bar_size_seconds(bar_size)
    begin = end - dt.timedelta(seconds=duration_seconds(duration))
    chosen = [b for b in bars if begin <= b.start < end]
    if use_rth and unit not in {"day", "week", "month"}:
        chosen = [b for b in chosen if in_rth(b.start)]
    return resample(chosen, seconds, unit)


def format_bar_date(start: dt.datetime, unit: str, format_date: int) -> str:
    """Bar date as TWS sends it: yyyymmdd for daily+, else local time with zone or epoch seconds."""
    if unit in {"day", "week", "month"}:
        return start.astimezone(EASTERN).strftime("%Y%m%d")
    if format_date == 2:
        return str(int(start.timestamp()))
    return start.astimezone(EASTERN).strftime("%Y%m%d %H:%M:%S US/Eastern")


def bar_fields(bar: Bar, unit: str, format_date: int) -> list[object]:
    """The 8 fields of one bar in historicalData (17)."""
    return [format_bar_date(bar.start, unit, format_date), repr(bar.open), repr(bar.high), repr(bar.low),
            repr(bar.close), _num(bar.volume), repr(bar.average()), bar.count]


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)
