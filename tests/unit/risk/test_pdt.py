"""Day trades by the direction-change method over five business days (market-rules.md §1.1)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from theo.core.calendar import get_calendar
from theo.model.enums import Side
from theo.risk.pdt import DayTradeCounter, DayTradeFill, day_trades_of_day

D = Decimal
B, S = Side.BUY, Side.SELL


def fills(*legs: tuple[Side, int], day: date = date(2019, 2, 12), symbol: str = "SPY") -> list[DayTradeFill]:
    t0 = datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)
    return [DayTradeFill(symbol, side, D(q), t0 + timedelta(minutes=i)) for i, (side, q) in enumerate(legs)]


def test_buy_then_sell_is_one_day_trade() -> None:
    assert day_trades_of_day(fills((B, 100), (S, 100)), D(0)) == 1


def test_two_buys_then_one_sell_is_one_day_trade() -> None:
    assert day_trades_of_day(fills((B, 100), (B, 100), (S, 200)), D(0)) == 1


def test_overnight_long_sold_before_any_purchase_is_none() -> None:
    assert day_trades_of_day(fills((S, 100)), D(100)) == 0
    # ... but buying again and selling is one
    assert day_trades_of_day(fills((S, 100), (B, 50), (S, 50)), D(100)) == 1


def test_short_sale_then_cover_is_one() -> None:
    assert day_trades_of_day(fills((S, 100), (B, 100)), D(0)) == 1


def test_selling_through_an_overnight_long_into_a_short_then_covering_is_one() -> None:
    assert day_trades_of_day(fills((S, 200), (B, 100)), D(100)) == 1


def test_each_direction_change_after_an_opening_run_counts() -> None:
    assert day_trades_of_day(fills((B, 100), (S, 50), (B, 50), (S, 100)), D(0)) == 2


def test_rolling_window_of_five_business_days() -> None:
    cal = get_calendar("XNYS")
    c = DayTradeCounter(cal)
    # Mon 2019-02-11 .. Fri 2019-02-15, then Tue 2019-02-19 (Mon 18th is Presidents' Day)
    for day in (date(2019, 2, 11), date(2019, 2, 12), date(2019, 2, 13)):
        for f in fills((B, 10), (S, 10), day=day):
            c.record(f)
    assert c.count(date(2019, 2, 13)) == 3
    assert c.count(date(2019, 2, 15)) == 3
    assert c.count(date(2019, 2, 19)) == 2  # window 12,13,14,15,19: the 11th dropped out
    assert c.count(date(2019, 2, 20)) == 1
