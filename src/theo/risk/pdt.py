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

from theo.core.calendar import ET, MarketCalendar
from theo.model.enums import Side
from theo.model.money import ZERO


@dataclass(frozen=True, slots=True)
class DayTradeFill:
    symbol: str
    side: Side
    quantity: Decimal
    ts: datetime


@dataclass(slots=True)
class _Run:
    """Direction-change state of one security on one day."""

    pos: Decimal
    count: int = 0
    side: Side | None = None
    opened: bool = False

    def step(self, f: DayTradeFill) -> int:
        """Apply one execution; return 1 when it ends an opening run (one more day trade), else 0."""
        added = 0
        if f.side is not self.side:
            if self.side is not None and self.opened:
                added = 1
            self.side, self.opened = f.side, False
        signed = f.side.sign * f.quantity
        closing = min(abs(self.pos), f.quantity) if self.pos * signed < 0 else ZERO
        if f.quantity > closing:
            self.opened = True
        self.pos += signed
        self.count += added
        return added


def day_trades_of_day(fills: list[DayTradeFill], start_position: Decimal) -> int:
    """Day trades in one security on one day, given the position carried into the day."""
    run = _Run(start_position)
    for f in fills:
        run.step(f)
    return run.count


class DayTradeCounter:
    """Rolling count of our own day trades over the last ``window`` business days of ``calendar``.

    Updated in O(1) per execution; executions of a security must arrive in time order.
    """

    def __init__(self, calendar: MarketCalendar, window: int = 5,
                 initial_positions: dict[str, Decimal] | None = None) -> None:
        self.calendar = calendar
        self.window = window
        self._pos: dict[str, Decimal] = dict(initial_positions or {})
        self._runs: dict[tuple[str, date], _Run] = {}
        self._per_day: dict[date, int] = defaultdict(int)

    def record(self, fill: DayTradeFill) -> None:
        """Add one execution of a security (not a future)."""
        day = fill.ts.astimezone(ET).date()
        key = (fill.symbol, day)
        run = self._runs.get(key)
        if run is None:
            run = self._runs[key] = _Run(self._pos.get(fill.symbol, ZERO))
        self._per_day[day] += run.step(fill)
        self._pos[fill.symbol] = run.pos

    def by_day(self) -> dict[date, int]:
        """Day trades per trading day (ET), all securities."""
        return {d: n for d, n in sorted(self._per_day.items()) if n}

    def count(self, today: date) -> int:
        """Day trades in the ``window`` business days ending with ``today``."""
        return sum(self._per_day.get(d, 0) for d in self.calendar.business_days_back(today, self.window))
