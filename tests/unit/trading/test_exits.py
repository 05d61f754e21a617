"""Exit levels: the time exit on normal and early-close days, bar crossing order, risk-reduction size."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from theo.core.calendar import ET, get_calendar
from theo.model.enums import Side
from theo.model.trades import ExitReason, Trade
from theo.risk.config import TradeRules
from theo.trading import exits

D = Decimal
CAL = get_calendar("XNYS")


def test_time_exit_is_earlier_on_an_early_close() -> None:
    rules = TradeRules()
    normal = exits.time_exit_at(date(2026, 11, 25), CAL, rules)
    early = exits.time_exit_at(date(2026, 11, 27), CAL, rules)  # day after Thanksgiving: 13:00 close
    assert normal is not None
    assert early is not None
    assert normal.astimezone(ET).strftime("%H:%M") == "15:55"
    assert early.astimezone(ET).strftime("%H:%M") == "12:55"
    assert exits.time_exit_at(date(2026, 11, 26), CAL, rules) is None  # Thanksgiving
    assert exits.time_exit_at(date(2026, 11, 25), CAL, TradeRules(time_exit=None)) is None


def test_a_bar_spanning_stop_and_target_counts_as_the_stop() -> None:
    t = Trade("s", "SPY", Side.BUY, D(10), "e", stop=D(99), target=D(101))
    assert exits.bar_crossed(t, 101.5, 98.5) is ExitReason.STOP_LOSS
    assert exits.bar_crossed(t, 101.5, 99.5) is ExitReason.PROFIT_TARGET
    s = Trade("s", "SPY", Side.SELL, D(10), "e", stop=D(101), target=D(99))
    assert exits.bar_crossed(s, 101.5, 98.5) is ExitReason.STOP_LOSS
    assert exits.crossed(s, 99.0) is ExitReason.PROFIT_TARGET


def test_risk_reduction_never_sells_everything() -> None:
    rules = TradeRules(rr_trigger_r=D(1), rr_sell_pct=D(100))
    t = Trade("s", "SPY", Side.BUY, D(300), "e", stop=D(99))
    t.add_entry_fill(D(300), D(100), D(0), datetime(2026, 11, 25, 15, tzinfo=UTC))
    assert exits.rr_quantity(t, rules, 1) == D(299)
    assert exits.rr_quantity(t, TradeRules(rr_sell_pct=D(50)), 100) == D(100)
    one = Trade("s", "SPY", Side.BUY, D(1), "e", stop=D(99))
    one.add_entry_fill(D(1), D(100), D(0), datetime(2026, 11, 25, 15, tzinfo=UTC))
    assert exits.rr_quantity(one, TradeRules(rr_sell_pct=D(50)), 1) == D(0)
    exits.prepare(t, rules)
    assert t.rr_f == 101.0
    assert exits.rr_reached(t, 101.0)
