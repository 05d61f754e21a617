"""Fills, stops, targets, trailing stops and the leverage check of a book, on both paths."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from tests.unit.node.helpers import bars
from theo.model.enums import OrderStatus, Side
from theo.model.series import BarSeries, from_us
from theo.node.book import BookContext, SymbolBook
from theo.node.charges import ChargesModel
from theo.node.records import Journal
from theo.strategy.base import Signal

ROWS = [(100, 100.5, 99.5, 100), (100.2, 101, 100, 100.8), (100.8, 102, 100.6, 101.9), (101.9, 102.5, 101, 101.2),
        (101.2, 101.4, 98, 98.5), (98.5, 99, 97, 97.5)]


def ctx(capital: str = "100000", leverage: str = "2", charges: str = "none") -> BookContext:
    return BookContext(journal=Journal(), bus=None, charges=ChargesModel(charges), tick_size=Decimal("0.01"),
                       slippage_ticks=0, capital=Decimal(capital), max_leverage=Decimal(leverage))


def signal(series: BarSeries, i: int, side: Side = Side.BUY, *, exit: bool = False, stop: float | None = None,
           target: float | None = None) -> Signal:
    return Signal("s", series.symbol, side, from_us(int(series.end_us[i])), float(series.close[i]), "1m",
                  stop_loss=stop, take_profit=target, exit=exit)


def stream(book: SymbolBook, series: BarSeries, signals: dict[int, Signal]) -> None:
    for i in range(len(series)):
        book.on_item(i, int(series.start_us[i]), float(series.open[i]), float(series.high[i]), float(series.low[i]))
        if i in signals:
            book.on_signal(signals[i])


def batch(book: SymbolBook, series: BarSeries, signals: dict[int, Signal]) -> None:
    for i in sorted(signals):
        t = int(series.end_us[i])
        book.advance_to(t)
        book.on_signal(signals[i])
    book.advance_to(2**62)


@pytest.mark.parametrize("run", [stream, batch])
def test_market_entry_fills_at_next_open_and_stop_fills_on_the_bar_that_crosses_it(run: object) -> None:
    s = bars("AAA", ROWS)
    c = ctx()
    book = SymbolBook(c, "s", "AAA", Decimal(10), None, s)
    run(book, s, {0: signal(s, 0, stop=99.0)})  # type: ignore[operator]
    trade = c.journal.trades[0]
    assert trade.entry_price == Decimal("100.2")
    assert trade.entry_index == 1
    assert trade.exit_reason == "stop-loss"
    assert trade.exit_index == 4
    assert trade.exit_price == Decimal("99.00")
    assert trade.gross_pnl() == Decimal("-12.0")


@pytest.mark.parametrize("run", [stream, batch])
def test_a_gap_through_the_stop_fills_at_the_open(run: object) -> None:
    rows = [*ROWS[:4], (98.0, 98.5, 97.5, 98.2)]
    s = bars("AAA", rows)
    c = ctx()
    run(SymbolBook(c, "s", "AAA", Decimal(10), None, s), s, {0: signal(s, 0, stop=99.0)})  # type: ignore[operator]
    assert c.journal.trades[0].exit_price == Decimal("98.0")


@pytest.mark.parametrize("run", [stream, batch])
def test_target_fills_at_the_target_price(run: object) -> None:
    s = bars("AAA", ROWS)
    c = ctx()
    run(SymbolBook(c, "s", "AAA", Decimal(10), None, s), s, {0: signal(s, 0, stop=95, target=101.5)})  # type: ignore[operator]
    t = c.journal.trades[0]
    assert (t.exit_reason, t.exit_index, t.exit_price) == ("take-profit", 2, Decimal("101.5"))


@pytest.mark.parametrize("run", [stream, batch])
def test_trailing_stop_follows_the_best_high_of_previous_bars(run: object) -> None:
    s = bars("AAA", ROWS)
    c = ctx()
    # trail 1 % of the 100.2 fill = 1.002; best high before bar 4 is 102.5, so the stop there is 101.498
    run(SymbolBook(c, "s", "AAA", Decimal(10), 1.0, s), s, {0: signal(s, 0)})  # type: ignore[operator]
    t = c.journal.trades[0]
    assert t.exit_reason == "trailing-stop"
    assert t.exit_index == 4
    assert t.exit_price == Decimal("101.2")  # opened below the 101.498 stop: filled at the open


@pytest.mark.parametrize("run", [stream, batch])
def test_exit_signal_closes_at_the_next_open_and_short_pnl_is_signed(run: object) -> None:
    s = bars("AAA", ROWS)
    c = ctx()
    run(SymbolBook(c, "s", "AAA", Decimal(10), None, s), s,  # type: ignore[operator]
        {1: signal(s, 1, Side.SELL), 3: signal(s, 3, Side.BUY, exit=True)})
    t = c.journal.trades[0]
    assert (t.entry_price, t.exit_price, t.exit_reason) == (Decimal("100.8"), Decimal("101.2"), "exit-rule")
    assert t.gross_pnl() == Decimal("-4.0")
    assert [o.status for o in c.journal.orders] == [OrderStatus.FILLED, OrderStatus.FILLED]


def test_exit_without_position_and_second_entry_are_ignored_with_a_reason() -> None:
    s = bars("AAA", ROWS)
    book = SymbolBook(ctx(), "s", "AAA", Decimal(10), None, s)
    assert book.on_signal(signal(s, 0, Side.SELL, exit=True)) == ("CANCELLED", "no matching open position")
    assert book.on_signal(signal(s, 0))[0] == "EXECUTED"
    assert book.on_signal(signal(s, 0))[0] == "CANCELLED"


def test_entry_refused_above_the_leverage_limit() -> None:
    s = bars("AAA", ROWS)
    book = SymbolBook(ctx(capital="1000", leverage="1"), "s", "AAA", Decimal(11), None, s)
    status, note = book.on_signal(signal(s, 0))
    assert status == "FAILED"
    assert "would exceed 1000" in note


@pytest.mark.parametrize(("qty", "price", "expected"), [("100", "25", "1.00"), ("1000", "25", "5.00"),
                                                        ("1000", "0.25", "2.50")])
def test_commission_examples_of_market_rules_7_1(qty: str, price: str, expected: str) -> None:
    assert ChargesModel()(Side.BUY, Decimal(qty), Decimal(price)) == Decimal(expected)


def test_sales_pay_finra_taf_rounded_up_to_the_cent() -> None:
    # 1000 shares: commission 5.00, TAF 0.166 -> 0.17
    assert ChargesModel()(Side.SELL, Decimal(1000), Decimal(25)) == Decimal("5.17")
    assert ChargesModel("none")(Side.SELL, Decimal(1000), Decimal(25)) == Decimal(0)


def test_timestamps_are_utc() -> None:
    assert from_us(0) == datetime.fromisoformat("1970-01-01T00:00:00+00:00")
