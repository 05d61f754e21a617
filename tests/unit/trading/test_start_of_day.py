"""The start of a trading day (equity and positions at the previous close) is one figure however the account got
there: lived through, or rebuilt after a restart (the market data replayed first, the journal's fills booked
after it, the first decision asked at another moment with other marks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from theo.core.calendar import get_calendar
from theo.core.clock import SimulatedClock
from theo.model.enums import Side
from theo.risk.pdt import DayTradeCounter
from theo.trading.portfolio import TradingPortfolio

D = Decimal
CAPITAL = D(100_000)
DAY1, DAY2 = date(2026, 1, 6), date(2026, 1, 7)
OPEN1 = datetime(2026, 1, 6, 14, 30, tzinfo=UTC)
OPEN2 = datetime(2026, 1, 7, 14, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Event:
    """A print of SPY (marks the account) or one of our fills, at ``ts``."""

    ts: datetime
    price: float
    fill: tuple[Side, Decimal] | None = None


def _portfolio() -> TradingPortfolio:
    clock = SimulatedClock(OPEN1)
    return TradingPortfolio(CAPITAL, clock, DayTradeCounter(get_calendar("XNYS")))


def _fill(pf: TradingPortfolio, e: Event) -> None:
    assert e.fill is not None
    pf.book("SPY", e.fill[0], e.fill[1], D(repr(e.price)), D("1.00"), e.ts, D(1))


def _lived(events: list[Event]) -> TradingPortfolio:
    """The run that lived through both days: each event in turn, the day opened at its first event."""
    pf = _portfolio()
    for e in events:
        pf.open_day(e.ts.date())
        if e.fill is not None:
            _fill(pf, e)
        pf.mark("SPY", e.price)
    return pf


def _rebuilt(events: list[Event]) -> TradingPortfolio:
    """The run restarted after the last event: the market data replayed with trading off, then the fills."""
    pf = _portfolio()
    for e in events:
        pf.open_day(e.ts.date())
        pf.mark("SPY", e.price)
    for e in events:
        if e.fill is not None:
            _fill(pf, e)
    return pf


prices = st.integers(min_value=9_000, max_value=11_000).map(lambda c: c / 100)
fills = st.one_of(st.none(), st.tuples(st.sampled_from([Side.BUY, Side.SELL]),
                                       st.integers(min_value=1, max_value=500).map(D)))


@st.composite
def sessions(draw: st.DrawFn) -> list[Event]:
    out = []
    for start in (OPEN1, OPEN2):
        n = draw(st.integers(min_value=1, max_value=12))
        for i in range(n):
            out.append(Event(start + timedelta(minutes=30 * i), draw(prices), draw(fills)))
    return out


@settings(max_examples=100, deadline=None)
@given(sessions(), prices)
def test_a_rebuilt_account_fixes_the_start_of_day_the_lived_one_fixed(events: list[Event], later: float) -> None:
    lived = _lived(events)
    rebuilt = _rebuilt(events)
    rebuilt.mark("SPY", later)  # the restarted run's first decision comes at another price
    assert rebuilt.start_of_day_equity(DAY2) == lived.start_of_day_equity(DAY2)
    assert rebuilt.start_of_day_positions(DAY2) == lived.start_of_day_positions(DAY2)
    assert (rebuilt.ledger.realised, rebuilt.ledger.charges, dict(rebuilt.positions())) == \
        (lived.ledger.realised, lived.ledger.charges, dict(lived.positions()))  # the same fills booked


def test_the_start_of_day_is_the_previous_close_and_the_fills_before_the_day() -> None:
    events = [Event(OPEN1, 100.0, (Side.BUY, D(100))), Event(OPEN1 + timedelta(hours=6), 101.5),
              Event(OPEN2, 104.0, (Side.BUY, D(50))), Event(OPEN2 + timedelta(hours=1), 99.0)]
    for pf in (_lived(events), _rebuilt(events)):
        # 100 SPY bought at 100 (1 USD charges) valued at the previous close 101.50; the day's own fill not in
        assert pf.start_of_day_equity(DAY2) == CAPITAL + D(150) - D(1)
        assert pf.start_of_day_positions(DAY2) == {"SPY": (D(100), D("101.5"))}
        assert pf.start_of_day_equity(DAY1) == CAPITAL  # nothing held before the first day
        assert pf.start_of_day_positions(DAY1) == {}
