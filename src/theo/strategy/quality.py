"""Strategy-level data-quality gates that work on closed bars alone (plan §3.1).

The feed's own gate (``theo.data.gate``) rejects bad ticks; these gates decide whether a strategy
may *act* on the bars it has:

* gap — more than ``max_gap_bars`` bars missing inside one session before the latest bar;
* stale — a symbol's last bar ended more than ``stale_after_seconds`` before the evaluation time;
* outlier — the latest intraday log return is more than ``zscore_limit`` standard deviations from the
  mean of the previous ``zscore_window`` returns;
* settlement — the close is more than ``max_settlement_deviation_pct`` away from the previous session's
  last close (the settlement proxy known from bars; sessions by the settings' calendar, so a CME day
  starts at 18:00 New York the evening before). A split is not a crash: on adjusted bars there is no jump,
  and on raw bars the previous close is put on the new basis with the split's factor (``use_raw_splits``);
* market hours — the bar lies outside the allowed part of the session (calendar of the settings);
* flagged — the bar carries a flag in ``reject_flags`` (set upstream by the feed's gate or the aggregator).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from theo.core.calendar import get_calendar
from theo.core.calendar.sessions import ET, MarketCalendar
from theo.model.enums import SessionKind
from theo.model.market import Bar
from theo.strategy.base import split_bar
from theo.strategy.library.correlation_config import QualitySettings


@dataclass(frozen=True, slots=True)
class QualityReport:
    """The failed gates at one evaluation, as ``gate:symbol:detail`` strings (empty when all passed)."""

    failures: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failures

    def describe(self) -> str:
        return "ok" if self.ok else "; ".join(self.failures)


class SymbolQuality:
    """Quality state of one symbol's bar series; feed every closed bar to :meth:`update`."""

    def __init__(self, symbol: str, settings: QualitySettings, interval: timedelta,
                 calendar: MarketCalendar | None = None, splits: Sequence[tuple[date, float]] = ()) -> None:
        self.symbol = symbol
        self.settings = settings
        self.interval = interval
        self.calendar = calendar
        self.splits = sorted(splits)  # (ex-date, price factor) of splits left in the raw bars
        self.last: Bar | None = None
        self.gap = 0
        self.zscore: float | None = None
        self.previous_close: float | None = None
        self._returns: deque[float] = deque(maxlen=settings.zscore_window)
        self._sum = 0.0  # running sums of the window: O(1) per bar instead of O(window)
        self._sumsq = 0.0
        self._day: date | None = None
        self._day_close: float | None = None

    def reset(self) -> None:
        self.__init__(self.symbol, self.settings, self.interval, self.calendar, self.splits)  # type: ignore[misc]

    def _rebased(self, close: float, old: date, new: date) -> float:
        """``close`` of session ``old`` on the basis of session ``new``: the factors of splits between them."""
        for ex, factor in self.splits:
            if old < ex <= new:
                close *= factor
        return close

    def rescale(self, ex_date: date, factor: float) -> None:
        """A running session reached the split's ex-date: the closes held go onto the new basis, and the split
        is no longer inside the bars still to come (its factor must not be applied a second time). The log
        returns of the outlier window do not change with the basis."""
        self.splits = [(ex, f) for ex, f in self.splits if ex != ex_date]
        if self._day_close is not None:
            self._day_close *= factor
        if self.previous_close is not None:
            self.previous_close *= factor
        if self.last is not None:
            self.last = split_bar(self.last, factor)

    def _session_day(self, start: datetime) -> date:
        """The trading day of a bar: CME's evening bars belong to the next day's session."""
        session = self.calendar.session_at(start) if self.calendar is not None else None
        return session.day if session is not None else start.astimezone(ET).date()

    def _z(self, r: float) -> float | None:
        """z of ``r`` against the window; ``None`` until 5 returns exist or when they do not vary."""
        n = len(self._returns)
        if n < 5:
            return None
        mean = self._sum / n
        var = (self._sumsq - n * mean * mean) / (n - 1)
        if var <= 1e-18:
            return None
        return (r - mean) / math.sqrt(var)

    def update(self, bar: Bar) -> None:
        day = self._session_day(bar.start)
        prev = self.last
        self.gap = 0
        self.zscore = None
        if prev is not None and day == self._day and self.interval < timedelta(days=1):
            self.gap = max(0, round((bar.start - prev.end) / self.interval))
        if day != self._day:
            # A new session: the last close of the previous one is the settlement proxy.
            if self._day_close is not None:
                self.previous_close = (self._day_close if self._day is None
                                       else self._rebased(self._day_close, self._day, day))
        elif prev is not None and prev.close > 0 and bar.close > 0:
            r = math.log(bar.close / prev.close)
            self.zscore = self._z(r)
            if len(self._returns) == self._returns.maxlen:
                old = self._returns[0]
                self._sum -= old
                self._sumsq -= old * old
            self._returns.append(r)
            self._sum += r
            self._sumsq += r * r
        self._day = day
        self._day_close = bar.close
        self.last = bar


class QualityGate:
    """The gates for a set of symbols evaluated together."""

    def __init__(self, symbols: tuple[str, ...], settings: QualitySettings, interval: timedelta,
                 splits: Mapping[str, Sequence[tuple[date, float]]] | None = None) -> None:
        self.settings = settings
        self._calendar: MarketCalendar | None = None
        self.symbols = {s: SymbolQuality(s, settings, interval, self.calendar, (splits or {}).get(s, ()))
                        for s in symbols}

    def use_raw_splits(self, splits: Mapping[str, Sequence[tuple[date, float]]]) -> None:
        """The splits still inside the raw bars (ex-date, price factor) per symbol."""
        for s, q in self.symbols.items():
            q.splits = sorted(splits.get(s, ()))

    def apply_split(self, symbol: str, ex_date: date, factor: float) -> None:
        """See :meth:`SymbolQuality.rescale` (nothing for a symbol the gate does not watch)."""
        q = self.symbols.get(symbol)
        if q is not None:
            q.rescale(ex_date, factor)

    @property
    def calendar(self) -> MarketCalendar:
        if self._calendar is None:
            self._calendar = get_calendar(self.settings.calendar)
        return self._calendar

    def reset(self) -> None:
        for q in self.symbols.values():
            q.reset()

    def update(self, bar: Bar) -> None:
        self.symbols[bar.symbol].update(bar)

    def check(self, at: datetime, present: set[str]) -> QualityReport:
        """Evaluate every gate at ``at`` (the end of the bar set); ``present`` are the symbols whose bar
        for this set arrived."""
        s = self.settings
        failures: list[str] = []
        for symbol, q in self.symbols.items():
            bar = q.last
            if bar is None:
                failures.append(f"stale:{symbol}:no data")
                continue
            age = (at - bar.end).total_seconds()
            if s.stale_after_seconds and age > s.stale_after_seconds:
                failures.append(f"stale:{symbol}:{int(age)}s")
            if symbol not in present:
                continue  # the checks below are about this set's bar
            flagged = sorted(bar.flags.intersection(s.reject_flags))
            if flagged:
                failures.append(f"flagged:{symbol}:{','.join(flagged)}")
            if q.gap > s.max_gap_bars:
                failures.append(f"gap:{symbol}:{q.gap} bars missing")
            if q.zscore is not None and abs(q.zscore) > s.zscore_limit:
                failures.append(f"outlier:{symbol}:z={q.zscore:.1f}")
            dev = _deviation_pct(bar.close, q.previous_close)
            if s.max_settlement_deviation_pct is not None and dev is not None and dev > s.max_settlement_deviation_pct:
                failures.append(f"settlement:{symbol}:{dev:.1f}% from previous close {q.previous_close}")
            if s.market_hours != "any":
                kind = self.calendar.session_kind(bar.start)
                allowed = {SessionKind.REGULAR} if s.market_hours == "regular" else {
                    SessionKind.REGULAR, SessionKind.PRE, SessionKind.POST}
                if kind not in allowed:
                    failures.append(f"hours:{symbol}:{kind.value}")
        return QualityReport(tuple(failures))


def _deviation_pct(close: float, reference: float | None) -> float | None:
    if reference is None or reference <= 0:
        return None
    return abs(close / reference - 1.0) * 100.0
