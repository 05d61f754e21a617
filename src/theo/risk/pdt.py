"""Day-trade counting for the legacy PDT rule (market-rules.md §1.1, §1.4): the direction-change method.

Per security and trading day (ET), the executions form runs of one side. A run that opened exposure (it did
more than close a position carried in) followed by a run of the other side is one day trade. Thus buy 100,
buy 100, sell 200 is one day trade; a long held overnight and sold today before any new purchase is none;
partial fills of one order are one run. Futures are not securities and are never counted (§1.1 Scope).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from theo.calendar import ET, MarketCalendar
from theo.domain.enums import Side
from theo.domain.money import ZERO


@dataclass(frozen=True, slots=True)
class DayTradeFill:
    symbol: str
    side: Side
    quantity: Decimal
    ts: datetime


def day_trades_of_day(fills: list[DayTradeFill], start_position: Decimal) -> int:
    """Day trades in one security on one day, given the position carried into the day."""
    pos = start_position
    count = 0
    run_side: Side | None = None
    run_opened = False
    for f in fills:
        if f.side is not run_side:
            if run_side is not None and run_opened:
                count += 1
            run_side, run_opened = f.side, False
        signed = f.side.sign * f.quantity
        closing = min(abs(pos), f.quantity) if pos * signed < 0 else ZERO
        if f.quantity > closing:
            run_opened = True
        pos += signed
    return count


class DayTradeCounter:
    """Rolling count of our own day trades over the last ``window`` business days of ``calendar``."""

    def __init__(self, calendar: MarketCalendar, window: int = 5,
                 initial_positions: dict[str, Decimal] | None = None) -> None:
        self.calendar = calendar
        self.window = window
        self._fills: dict[str, list[DayTradeFill]] = defaultdict(list)
        self._initial = dict(initial_positions or {})
        self._cache: dict[date, dict[date, int]] = {}

    def record(self, fill: DayTradeFill) -> None:
        """Add one execution of a security (not a future); executions arrive in time order."""
        self._fills[fill.symbol].append(fill)
        self._cache.clear()

    def by_day(self) -> dict[date, int]:
        """Day trades per trading day (ET), all securities."""
        out: dict[date, int] = defaultdict(int)
        for sym, fills in self._fills.items():
            pos = self._initial.get(sym, ZERO)
            day: date | None = None
            todays: list[DayTradeFill] = []
            for f in [*fills, None]:
                d = f.ts.astimezone(ET).date() if f is not None else None
                if d != day and todays:
                    assert day is not None
                    out[day] += day_trades_of_day(todays, pos)
                    pos += sum((x.side.sign * x.quantity for x in todays), ZERO)
                    todays = []
                if f is not None:
                    day = d
                    todays.append(f)
        return dict(out)

    def count(self, today: date) -> int:
        """Day trades in the ``window`` business days ending with ``today``."""
        per_day = self._cache.get(today)
        if per_day is None:
            per_day = self._cache[today] = self.by_day()
        days = self.calendar.business_days_back(today, self.window)
        return sum(per_day.get(d, 0) for d in days)
