"""Scanner gates: days, holidays, session window, pre/post market, schedule, limits, direction, rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from theo.core.errors import ConfigError, OrderValidationError
from theo.model.enums import SessionKind, Side
from theo.model.signals import Signal
from theo.strategy.scanner.config import ScanDefinition
from theo.strategy.scanner.run import load_bars
from theo.strategy.scanner.scanner import Scanner


def ny(day: int, h: int, m: int, month: int = 2) -> datetime:
    return datetime(2019, month, day, h + 5, m, tzinfo=UTC)  # EST: New York = UTC-5


def sig(ts: datetime, side: Side = Side.BUY, symbol: str = "SPY", exit_: bool = False, **inputs: Any) -> Signal:
    return Signal("s", symbol, side, ts, 270.0, "5m", stop_loss=269.0 if side is Side.BUY else 271.0,
                  take_profit=272.0 if side is Side.BUY else 268.0, exit=exit_, reason="r",
                  inputs=inputs or {"corr": -0.8})


def scanner(**kw: Any) -> Scanner:
    return Scanner(ScanDefinition.model_validate({"name": "sc", "strategy": "s", **kw}))


def test_a_regular_session_signal_becomes_a_record() -> None:
    s = scanner()
    record = s.accept(sig(ny(12, 10, 0)))
    assert record is not None
    assert record.bar_ts == ny(12, 9, 55)
    assert record.created_at == ny(12, 10, 0)
    assert record.entry_price == Decimal("270.0000")
    assert record.stop_loss == Decimal("269.0000")
    assert record.expires_at == ny(12, 16, 0)  # intraday: the session close
    assert (record.quantity, record.contract_size, record.mode, record.scanner) == (1, 1, "virtual", "sc")
    assert record.inputs == {"corr": -0.8}


@pytest.mark.parametrize(
    ("kw", "ts", "reason"),
    [
        ({"days": ["mon"]}, ny(12, 10, 0), "day"),
        ({}, ny(18, 10, 0), "holiday"),  # Presidents' Day 2019
        ({"start_time": "10:30:00"}, ny(12, 10, 0), "window"),
        ({"end_time": "11:00:00"}, ny(12, 11, 5), "window"),
        ({"scheduler": "*/15 * * * *"}, ny(12, 10, 5), "schedule"),
        ({"interval_seconds": 1800}, ny(12, 10, 5), "schedule"),
        ({"direction": "short"}, ny(12, 10, 0), "direction"),
        ({"symbols": ["QQQ"]}, ny(12, 10, 0), "symbol"),
        ({"entry_rules": ["corr <= -0.9"]}, ny(12, 10, 0), "entry_rules"),
        ({"enabled": False}, ny(12, 10, 0), "disabled"),
    ],
)
def test_refusals_are_counted_by_reason(kw: dict[str, Any], ts: datetime, reason: str) -> None:
    s = scanner(**kw)
    assert s.accept(sig(ts)) is None
    assert s.refused == {reason: 1}


def test_pre_and_post_market_need_their_switches() -> None:
    s = scanner(start_time="04:00:00", pre_market=True)
    assert s.accept(sig(ny(12, 9, 0))) is not None
    s2 = scanner(end_time="20:00:00", post_market=True)
    assert s2.accept(sig(ny(12, 16, 10))) is not None
    assert scanner().accept(sig(ny(12, 16, 10))) is None


def test_pre_market_bar_with_a_window_that_allows_it_but_pre_market_off_is_refused() -> None:
    s = scanner(start_time="09:30:00")
    s.d = s.d.model_copy(update={"start_time": datetime.min.time()})  # bypass load validation on purpose
    assert s.accept(sig(ny(12, 9, 0))) is None
    assert s.refused == {"extended_hours": 1}


def test_schedules_accept_on_time_bars() -> None:
    assert scanner(scheduler="*/15 9-15 * * mon-fri").accept(sig(ny(12, 10, 15))) is not None
    assert scanner(interval_seconds=1800).accept(sig(ny(12, 10, 0))) is not None  # 30 min after the open


def test_max_signals_per_day() -> None:
    s = scanner(max_signals=2)
    accepted = [s.accept(sig(ny(12, 10, m))) for m in (0, 5, 10)]
    assert [a is not None for a in accepted] == [True, True, False]
    assert s.refused == {"max_signals": 1}
    assert s.accept(sig(ny(13, 10, 0))) is not None  # a new day


def test_exit_signals_need_an_open_signal_and_follow_direction() -> None:
    s = scanner(direction="long")
    assert s.accept(sig(ny(12, 10, 0), Side.SELL, exit_=True)) is None
    assert s.refused == {"no_open_signal": 1}
    assert s.accept(sig(ny(12, 10, 0))) is not None
    assert s.accept(sig(ny(12, 10, 5), Side.BUY, exit_=True)) is None  # a BUY exit would close a short
    exit_record = s.accept(sig(ny(12, 10, 5), Side.SELL, exit_=True))
    assert exit_record is not None
    assert exit_record.is_exit
    assert exit_record.stop_loss is None
    assert exit_record.take_profit is None


def test_scanner_exit_rules_make_exit_signals() -> None:
    s = scanner(exit_rules=["close < 269.5"])
    s.accept(sig(ny(12, 10, 0)))
    assert s.exits(ny(12, 10, 5), "5m", {"close": 269.8}, "s") == []
    out = s.exits(ny(12, 10, 10), "5m", {"close": 269.4}, "s")
    assert [(x.side, x.exit, x.price, x.symbol) for x in out] == [(Side.SELL, True, 269.4, "SPY")]
    assert "exit rule: close < 269.5" in out[0].reason


def test_option_scanner_picks_right_and_strike() -> None:
    s = scanner(instrument_type="OPTION", option_category="OTM")
    buy = s.accept(sig(ny(12, 10, 0)))
    sell = s.accept(sig(ny(12, 10, 5), Side.SELL))
    assert buy is not None
    assert sell is not None
    assert (buy.option_right, buy.option_strike) == ("CALL", Decimal("280.00"))
    assert (sell.option_right, sell.option_strike) == ("PUT", Decimal("260.00"))
    assert buy.option_expiry == date(2019, 2, 15)  # weekly: that week's Friday
    assert buy.contract_size == 100
    assert buy.quantity == 100
    fixed = scanner(instrument_type="OPTION", option_type="PUT", option_category="ITM").accept(sig(ny(12, 10, 0)))
    assert fixed is not None
    assert (fixed.option_right, fixed.option_strike) == ("PUT", Decimal("280.00"))
    monthly = scanner(instrument_type="OPTION", option_category="ATM", expiry="monthly").accept(sig(ny(12, 10, 0)))
    assert monthly is not None
    assert monthly.option_expiry == date(2019, 2, 15)  # February 2019's third Friday
    equity = scanner().accept(sig(ny(12, 10, 0)))
    assert equity is not None
    assert equity.option_expiry is None


def test_positional_expiry() -> None:
    record = scanner(type="positional", expiry="weekly").accept(sig(ny(12, 10, 0)))
    assert record is not None
    assert record.expires_at == ny(15, 16, 0)


def test_coarser_bars_are_rolled_up_on_the_session_grid_keeping_ohlcv(tmp_path: Path) -> None:
    start = ny(12, 9, 26)  # four pre-market minutes: their 5m bar ends at the 09:30 open
    rows = [(start + timedelta(minutes=i), 100 + i, 101 + i, 99 + i, 100.5 + i) for i in range(16) if i != 11]
    path = tmp_path / "SPY_1min.csv"  # minute 09:37 is missing; its bucket is built from what exists
    path.write_text("ts,open,high,low,close,volume\n" + "".join(
        f"{t.isoformat()},{o},{h},{lo},{c},10\n" for t, o, h, lo, c in rows))
    five = load_bars({"SPY": path}, {("SPY", "5m")})[0][("SPY", "5m")]
    assert [(b.start, b.end, b.session) for b in five] == [
        (ny(12, 9, 25), ny(12, 9, 30), SessionKind.PRE), (ny(12, 9, 30), ny(12, 9, 35), SessionKind.REGULAR),
        (ny(12, 9, 35), ny(12, 9, 40), SessionKind.REGULAR), (ny(12, 9, 40), ny(12, 9, 45), SessionKind.REGULAR)]
    second = five[1]
    assert (second.open, second.high, second.low, second.close, second.volume) == (104, 109, 103, 108.5, 50.0)
    assert (five[2].volume, five[2].tick_count) == (40.0, 4)
    assert all(b.timeframe == "5m" for b in five)


def test_a_timeframe_the_file_cannot_give_is_refused_naming_both(tmp_path: Path) -> None:
    path = tmp_path / "SPY_1h.csv"
    path.write_text("ts,open,high,low,close,volume\n" + "".join(
        f"{ny(12, h, 0).isoformat()},1,1,1,1,1\n" for h in range(9, 16)))
    with pytest.raises(ConfigError, match=r"SPY .*: 1d bars cannot be built from 1h bars: 1h bars cut from "
                                          r"the clock straddle session boundaries"):
        load_bars({"SPY": path}, {("SPY", "1d")})
    with pytest.raises(ConfigError, match="30m bars cannot be built from 1h bars: 30m is finer than 1h"):
        load_bars({"SPY": path}, {("SPY", "30m")})


def test_a_record_breaking_plan_rules_is_rejected_and_not_counted() -> None:
    s = scanner(max_signals=1)
    bad = Signal("s", "SPY", Side.BUY, ny(12, 10, 0), 270.0, "5m", stop_loss=271.0, reason="r")
    with pytest.raises(OrderValidationError, match=r"stop_loss 271\.0000 must be below entry_price 270\.0000"):
        s.accept(bad)
    assert s.accept(sig(ny(12, 10, 5))) is not None  # the day's single signal was not used up


def test_an_entry_is_not_exited_on_its_own_bar() -> None:
    s = scanner(exit_rules=["close < 269.5"])
    s.accept(sig(ny(12, 10, 0), Side.SELL))
    assert s.exits(ny(12, 10, 0), "5m", {"close": 269.4}, "s") == []
    out = s.exits(ny(12, 10, 5), "5m", {"close": 269.4}, "s")
    assert [(x.side, x.exit, x.ts) for x in out] == [(Side.BUY, True, ny(12, 10, 5))]


def test_option_scanner_picks_strikes_on_the_listed_chain_when_it_has_one() -> None:
    asked: list[tuple[str, date]] = []

    def listed(symbol: str, expiry: date) -> list[Decimal] | None:
        asked.append((symbol, expiry))
        return [Decimal(k) for k in (268, 269, 270, 271, 272)] if symbol == "SPY" else None

    definition = ScanDefinition.model_validate({"name": "sc", "strategy": "s", "instrument_type": "OPTION",
                                                "option_category": "OTM"})
    s = Scanner(definition, strikes=listed)
    buy = s.accept(sig(ny(12, 10, 0)))
    sell = s.accept(sig(ny(12, 10, 5), Side.SELL))
    assert buy is not None
    assert sell is not None
    assert (buy.option_right, buy.option_strike) == ("CALL", Decimal("271.00"))  # $1 chain, not the assumed $10
    assert (sell.option_right, sell.option_strike) == ("PUT", Decimal("269.00"))
    assert asked == [("SPY", date(2019, 2, 15))] * 2
    other = s.accept(sig(ny(12, 10, 10), symbol="QQQ"))
    assert other is not None
    assert other.option_strike == Decimal("280.00")  # no chain: the standard intervals


def test_each_entry_rule_counts_how_often_it_held() -> None:
    s = scanner(entry_rules=["corr <= -0.5", "corr <= -0.9"])
    s.accept(sig(ny(12, 10, 0), corr=-0.8))
    s.accept(sig(ny(12, 10, 5), corr=-0.95))
    assert s.rule_tried == {"corr <= -0.5": 2, "corr <= -0.9": 2}
    assert s.rule_held == {"corr <= -0.5": 2, "corr <= -0.9": 1}
    s.reset()
    assert not s.rule_tried
    assert not s.rule_held
