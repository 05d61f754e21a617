"""Exit levels: the time exit on normal and early-close days and the door it closes, the risk-reduction trigger
and size."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from theo.core.calendar import ET, get_calendar
from theo.model.enums import Side
from theo.model.trades import Trade
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


def test_the_door_closes_at_the_time_exit_until_the_next_session() -> None:
    rules = TradeRules()
    at = datetime(2026, 11, 25, 15, 55, tzinfo=ET)
    assert exits.door_closed(at - timedelta(seconds=1), CAL, rules) is None
    assert exits.door_closed(at, CAL, rules) == at
    assert exits.door_closed(datetime(2026, 11, 25, 19, 0, tzinfo=ET), CAL, rules) == at
    assert exits.door_closed(datetime(2026, 11, 26, 10, 0, tzinfo=ET), CAL, rules) is None  # Thanksgiving
    early = datetime(2026, 11, 27, 12, 55, tzinfo=ET)  # 13:00 close: 5 minutes before it
    assert exits.door_closed(early - timedelta(seconds=1), CAL, rules) is None
    assert exits.door_closed(early, CAL, rules) == early
    assert exits.door_closed(datetime(2026, 11, 30, 8, 0, tzinfo=ET), CAL, rules) is None  # next pre-market
    assert exits.door_closed(at, CAL, TradeRules(time_exit=None)) is None  # held overnight: never closed


def test_risk_reduction_never_sells_everything() -> None:
    rules = TradeRules(rr_trigger_r=D(1), rr_sell_pct=D(100))
    t = Trade("s", "SPY", Side.BUY, D(300), "e", stop=D(99))
    t.add_entry_fill(D(300), D(100), D(0), datetime(2026, 11, 25, 15, tzinfo=UTC))
    assert exits.rr_quantity(t, rules, 1) == D(299)
    assert exits.rr_quantity(t, TradeRules(rr_sell_pct=D(50)), 100) == D(100)
    one = Trade("s", "SPY", Side.BUY, D(1), "e", stop=D(99))
    one.add_entry_fill(D(1), D(100), D(0), datetime(2026, 11, 25, 15, tzinfo=UTC))
    assert exits.rr_quantity(one, TradeRules(rr_sell_pct=D(50)), 1) == D(0)
    exits.arm_risk_reduction(t, rules)
    assert t.rr_f == 101.0
    assert not exits.rr_reached(t, 100.99, 99.5)
    assert exits.rr_reached(t, 101.0, 100.0)
    short = Trade("s", "SPY", Side.SELL, D(10), "e", stop=D(102))
    short.add_entry_fill(D(10), D(100), D(0), datetime(2026, 11, 25, 15, tzinfo=UTC))
    exits.arm_risk_reduction(short, rules)
    assert short.rr_f == 98.0
    assert (exits.rr_reached(short, 101.0, 98.01), exits.rr_reached(short, 101.0, 98.0)) == (False, True)
    t.rr_done = True
    assert not exits.rr_reached(t, 105.0, 100.0)  # once only
