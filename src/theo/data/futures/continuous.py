"""Continuous futures series: roll rules, roll events and back-adjustment by difference or ratio.

A continuous series is for indicators and research only; orders always go to the actual contract that
:meth:`ContinuousSeries.contract_at` names (market-rules.md §5.1: ``ContFuture`` is data only).

The roll happens at the *roll bar*: the first bar, at or after the start of the roll day's session, at
which both contracts traded. The series takes the expiring contract up to and including the roll bar and
the next contract after it; the adjustment is measured on the closes of that bar, so the adjusted close
of the roll bar equals the next contract's close and the series has no artificial jump. Back-adjustment
moves history, so a series is rebuilt after every roll; a value at bar t never uses bars after t apart
from that constant shift.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import pairwise
from pathlib import Path
from typing import Literal

import numpy as np

from theo.core.calendar import get_calendar
from theo.core.errors import DataError
from theo.core.time import from_us, to_us
from theo.data.bars.timeframes import parse_timeframe
from theo.data.futures.bars import ContractBars, FloatArray, IntArray
from theo.data.futures.contracts import Contract
from theo.model.enums import SessionKind
from theo.model.instruments import CME_EQUITY_CALENDAR, Instrument
from theo.model.market import Bar, ensure_utc

Method = Literal["difference", "ratio", "none"]


@dataclass(frozen=True)
class CalendarRoll:
    """Roll on a date: the CME convention, ``business_days`` before expiry, or a forced date.

    ``dates`` forces the roll day of a pair, keyed by the expiring contract's symbol (``{"ESZ13": ...}``).
    """

    business_days: int | None = None
    dates: Mapping[str, date] = field(default_factory=dict)
    name: str = "calendar"

    def roll_day(self, front: ContractBars, nxt: ContractBars) -> date:
        forced = self.dates.get(front.contract.symbol)
        return forced if forced is not None else front.contract.roll_date(business_days=self.business_days)


@dataclass(frozen=True)
class VolumeRoll:
    """Roll the day after the first trading day on which the next contract's volume exceeds the front's.

    The crossover is known only once that day has closed, so the switch is on the following day (no
    look-ahead). Without a crossover the calendar roll (``fallback``) still applies: no position may be
    carried into expiry.
    """

    fallback: CalendarRoll = field(default_factory=CalendarRoll)
    name: str = "volume"

    def roll_day(self, front: ContractBars, nxt: ContractBars) -> date:
        latest = self.fallback.roll_day(front, nxt)
        days_f, vol_f = _daily_volume(front)
        days_n, vol_n = _daily_volume(nxt)
        days = np.union1d(days_f, days_n)
        vf = _align(days, days_f, vol_f)
        vn = _align(days, days_n, vol_n)
        crossed = np.flatnonzero(vn > vf)
        if len(crossed) == 0:
            return latest
        day = days[crossed[0]].astype(date)
        following = get_calendar(CME_EQUITY_CALENDAR).next_session(day)
        return min(following, latest)


RollRule = CalendarRoll | VolumeRoll


def _daily_volume(bars: ContractBars) -> tuple[np.ndarray, FloatArray]:
    days = bars.trading_days()
    uniq, inverse = np.unique(days, return_inverse=True)
    return uniq, np.bincount(inverse, weights=bars.volume, minlength=len(uniq)).astype(np.float64)


def _align(days: np.ndarray, have: np.ndarray, values: FloatArray) -> FloatArray:
    out = np.zeros(len(days), dtype=np.float64)
    out[np.searchsorted(days, have)] = values
    return out


@dataclass(frozen=True, slots=True)
class RollEvent:
    """One roll: from which contract to which, when, and the price gap measured at the roll bar."""

    root: str
    rule: str
    from_symbol: str
    to_symbol: str
    roll_day: date
    ts: datetime  # start of the roll bar (UTC)
    from_price: float
    to_price: float

    @property
    def difference(self) -> float:
        return self.to_price - self.from_price

    @property
    def ratio(self) -> float:
        return self.to_price / self.from_price


@dataclass(frozen=True)
class ContinuousSeries:
    """A back-adjusted series with, for every bar, the contract it came from and the adjustment applied."""

    root: str
    method: Method
    contracts: tuple[Contract, ...]
    rolls: tuple[RollEvent, ...]
    start_us: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    contract_index: IntArray
    adjustment: FloatArray  # added (difference) or multiplied (ratio) into the raw prices

    @property
    def symbol(self) -> str:
        return f"{self.root}_CONT"

    def __len__(self) -> int:
        return len(self.start_us)

    def contract_at(self, ts: datetime) -> Contract:
        """The contract to trade at ``ts``: the next one from the close of each roll bar on."""
        us = to_us(ensure_utc(ts, "ts"))
        k = sum(1 for r in self.rolls if us > to_us(r.ts))
        return self.contracts[k]

    def instrument_at(self, ts: datetime) -> Instrument:
        """The tradable instrument for an order placed at ``ts`` (a signal on the series trades this)."""
        return self.contract_at(ts).instrument()

    def contract_of_bar(self, i: int) -> Contract:
        """The contract whose (adjusted) prices bar ``i`` carries."""
        return self.contracts[int(self.contract_index[i])]

    def bars(self, timeframe: str = "1m") -> list[Bar]:
        """Bars for the indicator set; ``flags`` name the source contract and mark the roll bars."""
        step = parse_timeframe(timeframe).length
        roll_us = {to_us(r.ts) for r in self.rolls}
        out: list[Bar] = []
        for i in range(len(self)):
            start = from_us(int(self.start_us[i]))
            flags = {f"contract={self.contract_of_bar(i).symbol}"}
            if int(self.start_us[i]) in roll_us:
                flags.add("roll")
            out.append(Bar(self.symbol, timeframe, start, start + step, float(self.open[i]), float(self.high[i]),
                           float(self.low[i]), float(self.close[i]), float(self.volume[i]), 0,
                           SessionKind.REGULAR, f"continuous:{self.method}", frozenset(flags)))
        return out

    def write_csv(self, path: Path) -> None:
        """Write ts (ET with offset, as the shared data), OHLCV, source contract and adjustment."""
        import pandas as pd

        ts = pd.to_datetime(self.start_us, unit="us", utc=True).tz_convert("America/New_York")
        df = pd.DataFrame({
            "ts": [t.isoformat() for t in ts], "open": self.open, "high": self.high, "low": self.low,
            "close": self.close, "volume": self.volume,
            "contract": [self.contracts[int(k)].symbol for k in self.contract_index],
            "adjustment": self.adjustment,
        })
        path.parent.mkdir(parents=True, exist_ok=True)
        df.to_csv(path, index=False)


def _session_start_us(day: date) -> int:
    cal = get_calendar(CME_EQUITY_CALENDAR)
    session = cal.session(day) or cal.session(cal.next_session(day))
    assert session is not None
    return to_us(session.open)


def find_roll(front: ContractBars, nxt: ContractBars, rule: RollRule) -> RollEvent | None:
    """The roll from ``front`` to ``nxt`` under ``rule``, or ``None`` when it lies after the data."""
    day = rule.roll_day(front, nxt)
    switch_us = _session_start_us(day)
    if len(front) == 0 or switch_us > int(front.start_us[-1]):
        return None
    common, i_front, i_next = np.intersect1d(front.start_us, nxt.start_us, assume_unique=True, return_indices=True)
    after = np.flatnonzero(common >= switch_us)
    if len(after) == 0:
        raise DataError(f"no bar on or after the {day} session start where both {front.contract.symbol} and "
                        f"{nxt.contract.symbol} traded; the roll adjustment cannot be measured")
    k = int(after[0])
    return RollEvent(front.contract.root, rule.name, front.contract.symbol, nxt.contract.symbol, day,
                     from_us(int(common[k])), float(front.close[i_front[k]]), float(nxt.close[i_next[k]]))


def build_continuous(chain: Sequence[ContractBars], rule: RollRule, method: Method = "difference") -> ContinuousSeries:
    """Chain per-contract bars (any order) into one back-adjusted series."""
    if not chain:
        raise DataError("no contract bars given; pass at least one per-contract bar file")
    ordered = sorted(chain, key=lambda b: b.contract)
    roots = {b.contract.root for b in ordered}
    if len(roots) != 1:
        raise DataError(f"contracts of different roots ({', '.join(sorted(roots))}) cannot form one series")
    symbols = [b.contract.symbol for b in ordered]
    if len(set(symbols)) != len(symbols):
        raise DataError(f"the same contract was given twice: {', '.join(symbols)}")
    rolls: list[RollEvent] = []
    for front, nxt in pairwise(ordered):
        event = find_roll(front, nxt, rule)
        if event is None:
            break
        rolls.append(event)
    used = ordered[:len(rolls) + 1]
    pieces: list[tuple[int, np.ndarray]] = []
    lower = None
    for k, bars in enumerate(used):
        mask = np.ones(len(bars), dtype=bool)
        if lower is not None:
            mask &= bars.start_us > lower
        if k < len(rolls):
            upper = to_us(rolls[k].ts)
            mask &= bars.start_us <= upper
            lower = upper
        pieces.append((k, np.flatnonzero(mask)))
    adjust = _adjustments(rolls, method)
    cols: dict[str, list[np.ndarray]] = {c: [] for c in ("start_us", "open", "high", "low", "close", "volume",
                                                         "contract_index", "adjustment")}
    for k, idx in pieces:
        bars = used[k]
        a = adjust[k]
        cols["start_us"].append(bars.start_us[idx])
        for name in ("open", "high", "low", "close"):
            raw = getattr(bars, name)[idx]
            cols[name].append(raw * a if method == "ratio" else raw + a)
        cols["volume"].append(bars.volume[idx])
        cols["contract_index"].append(np.full(len(idx), k, dtype=np.int64))
        cols["adjustment"].append(np.full(len(idx), a, dtype=np.float64))
    joined = {c: np.concatenate(v) for c, v in cols.items()}
    return ContinuousSeries(ordered[0].contract.root, method, tuple(b.contract for b in used), tuple(rolls),
                            joined["start_us"].astype(np.int64), joined["open"], joined["high"], joined["low"],
                            joined["close"], joined["volume"], joined["contract_index"], joined["adjustment"])


def _adjustments(rolls: Sequence[RollEvent], method: Method) -> list[float]:
    """Adjustment of each segment: the sum (product) of the gaps of all later rolls; the last is neutral."""
    neutral = 1.0 if method == "ratio" else 0.0
    out = [neutral] * (len(rolls) + 1)
    if method == "none":
        return out
    for k in range(len(rolls) - 1, -1, -1):
        gap = rolls[k].ratio if method == "ratio" else rolls[k].difference
        out[k] = out[k + 1] * gap if method == "ratio" else out[k + 1] + gap
    return out
