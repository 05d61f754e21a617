"""Scripted trading day on real SPY 1-minute bars: every exit kind, then the deals report checked by hand.

Data: ``eqker/SPY_1min_2019-02-11_2019-02-15.csv.gz``, the session of Mon 2019-02-11, re-stamped onto Fri
2026-11-27 (NYSE closes at 13:00 ET, market-rules.md §4.2) at the same ET wall-clock times. The time exit is
configured at 15:55 ET, so on this early-close day it comes 5 minutes before the 13:00 close: 12:55 ET.

Mechanics (the node's): a bar is worked at its open (orders that trade there, stamped with its start), then at
its end its range (resting stops, limits and trailing stops, stamped with its end), then the trade manager sees
it (risk reduction) and the clock's timers due by then fire (the time exit). Every entry goes out as a bracket:
its stop and its target (the signal's, else 2 R) rest at the broker and trade there, at their level (or the
open when a bar gaps through). The manager itself sends only market exits (risk reduction, exit rule, time
exit, kill switch); they fill at the next bar's open. Prices to the cent half-even, no slippage.
Sizing: account_risk_pct 0.2 % of ~100,000 with max_trade_qty 200 (400 for `target` and `rr`): the caps bite.
Charges (IBKR fixed, SEC fee 0.00 on 2026-11-27): 200 sh buy 1.00 + CAT 0.02 = 1.02; 200 sh sell 1.00 +
CAT 0.02 + TAF 0.04 = 1.06; 400 sh buy 2.00 + 0.03 = 2.03; 400 sh sell 2.00 + 0.03 + 0.07 = 2.10.

Trades (signal at the close of the bar named; ET):
  stop    long  09:36 c 271.45, stop 270.95 -> 200 @ 09:37 o 271.43; the 09:40 low 270.87 goes through the
          resting stop -> sold @ 270.95 (09:41, the bar's end): P&L -96.00, charges 2.08, net -98.08
  target  short 10:22 c 270.86, stop 271.11, target 270.36 -> 400 @ 10:23 o 270.86; the 10:30 low 270.33
          goes through the resting target -> bought @ 270.36: P&L 200.00, charges 4.13, net 195.87
  trail   long  11:10 c 270.28, stop 269.78, trailing 0.1 % at the broker -> 200 @ 11:11 o 270.25; the stop
          follows the highs (cent half-even) to 270.50 (11:22 high 270.78 x 0.999 = 270.509 -> 270.50; the
          11:25 high 270.785 rounds to 270.78, no higher); 11:30 low 270.48 -> sold @ 270.50: P&L 50.00,
          charges 2.08, net 47.92
  rr      long  11:56 c 270.32, stop 270.07, target 271.50, RR at 1R -> 400 @ 11:57 o 270.34; trigger 270.61
          reached by the 12:01 high 270.68 -> the resting stop and target shrink to 200 and the stop moves to
          270.34 (never hit); 200 sold @ 12:02 o 270.63 (+58.00); the rest sold by the 12:55 time exit
          @ 12:55 o 270.72 (+76.00): P&L 134.00, charges 2.03 + 1.06 + 1.06 = 4.15, net 129.85, exit price
          (270.63 + 270.72) / 2 = 270.675
  exit    short 12:03 c 270.70, stop 271.20 -> 200 @ 12:04 o 270.70; exit signal at the 12:19 close: its stop
          and target are cancelled, bought @ 12:20 o 270.54: P&L 32.00, charges 2.08, net 29.92
  time    long  12:30 c 270.84, stop 270.34 -> 200 @ 12:31 o 270.84; time exit 12:55 -> sold @ 270.72:
          P&L -24.00, charges 2.08, net -26.08
  kill    long  12:56 c 270.74, stop 270.24; its strategy holds overnight (time_exit "none"), so the door the
          12:55 time exit closed for the others is open to it -> 200 @ 12:57 o 270.76; kill switch with flatten
          after the 12:57 bar -> sold @ 12:58 o 270.795 = 270.80 (half-even): P&L 8.00, charges 2.08, net 5.92
A `late` signal at 12:56 from a strategy with the default time exit is not traded: the door is closed.
Total net: 285.32.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from tests.realbars import spy_session_restamped
from tests.unit.execution.helpers import make_rig
from tests.unit.trading.rig import TradingRig, make_manager
from theo.analysis.deals import build_deals, render_deals
from theo.core.calendar import ET
from theo.model.enums import Side, SignalStatus
from theo.model.market import Bar
from theo.model.signals import Signal, SignalOutcome
from theo.persistence.repositories.trades import SqlTradeStore as TradeStore
from theo.risk.config import RiskConfig
from theo.risk.state import State
from theo.trading.manager import StrategyTerms

D = Decimal
DAY = date(2026, 11, 27)


def restamped_bars() -> list[Bar]:
    return spy_session_restamped(DAY)


def config() -> RiskConfig:
    return RiskConfig.model_validate({
        "account": {"limits": {"account_risk_pct": "0.2", "max_trade_qty": 200}},
        "strategies": {"target": {"max_trade_qty": 400}, "rr": {"max_trade_qty": 400}},
        "trade": {"time_exit": "15:55:00"},
        "trade_by_strategy": {"trail": {"trailing_stop_pct": "0.1"},
                              "rr": {"rr_trigger_r": 1, "rr_sell_pct": 50, "rr_move_stop": "breakeven"},
                              "kill": {"time_exit": "none"}},
    })


def test_every_exit_kind_on_real_bars_and_the_deals_report(tmp_path: Path) -> None:
    bars = restamped_bars()
    rig = make_rig(tmp_path, start=bars[0].start, state_file=None)
    ss_types = {"stop": "correlation", "target": "correlation", "trail": "donchian", "rr": "donchian",
                "exit": "zscore", "time": "zscore", "kill": "manual"}
    mgr = make_manager(rig, config(), terms={name: StrategyTerms(ss_type=kind) for name, kind in ss_types.items()})
    r = TradingRig(rig, mgr)
    outcomes: dict[str, SignalOutcome] = {}

    def sig(name: str, b: Bar, side: Side, stop: float, target: float | None = None, exit: bool = False) -> Signal:
        return Signal(name, "SPY", side, b.end, b.close, "1m", stop_loss=stop, take_profit=target, exit=exit)

    def on(name: str, s: Signal) -> None:
        outcomes[name] = mgr.on_signal(s)

    plan = {
        "09:36": lambda b: on("stop", sig("stop", b, Side.BUY, 270.95)),
        "10:22": lambda b: on("target", sig("target", b, Side.SELL, 271.11, 270.36)),
        "11:10": lambda b: on("trail", sig("trail", b, Side.BUY, 269.78)),
        "11:56": lambda b: on("rr", sig("rr", b, Side.BUY, 270.07, 271.50)),
        "12:03": lambda b: on("exit", sig("exit", b, Side.SELL, 271.20)),
        "12:19": lambda b: on("exit signal", sig("exit", b, Side.BUY, 0.0, exit=True)),
        "12:30": lambda b: on("time", sig("time", b, Side.BUY, 270.34)),
        "12:56": lambda b: (on("kill", sig("kill", b, Side.BUY, 270.24)), on("late", sig("late", b, Side.BUY, 270.24))),
        "12:57": lambda b: mgr.kill(flatten=True, reason="scenario", actor="pytest"),
    }
    for b in bars:
        r.bar(b)
        action = plan.get(f"{b.start.astimezone(ET):%H:%M}")
        if action is not None:
            action(b)
    assert mgr.state.state is State.HALTED
    assert (outcomes["late"].status, outcomes["late"].note) == (
        SignalStatus.CANCELLED, "after the time exit 12:55 ET: no new entry until the next session")
    assert outcomes["stop"].note == "POSITION_LIMIT: quantity 400 capped to 200 (max_trade_qty=200)"
    assert outcomes["exit signal"].status is SignalStatus.EXECUTED

    stored = TradeStore(rig.engine).load_trades()
    fills: dict[str, list] = {}  # type: ignore[type-arg]
    for ex in rig.journal.fills():
        fills.setdefault(ex.client_order_id, []).append(ex)
    deals = build_deals(stored, fills=fills)
    got = [(d.strategy, d.ss_signal_type, d.entry_qty, d.exit_qty, d.entry_price, d.exit_price, d.pnl, d.charges,
            d.net_pnl, d.status, d.comment.split(";")[0]) for d in deals]
    assert got == [
        ("stop", "Long", D(200), D(200), D("271.43"), D("270.95"), D("-96"), D("2.08"), D("-98.08"), "Completed",
         "Stop-loss"),
        ("target", "Short", D(400), D(400), D("270.86"), D("270.36"), D("200"), D("4.13"), D("195.87"),
         "Completed", "Profit target"),
        ("trail", "Long", D(200), D(200), D("270.25"), D("270.5"), D("50"), D("2.08"), D("47.92"), "Completed",
         "Trailing stop"),
        ("rr", "Long", D(400), D(400), D("270.34"), D("270.675"), D("134"), D("4.15"), D("129.85"), "Completed",
         "Time exit"),
        ("exit", "Short", D(200), D(200), D("270.7"), D("270.54"), D("32"), D("2.08"), D("29.92"), "Completed",
         "Exit rule"),
        ("time", "Long", D(200), D(200), D("270.84"), D("270.72"), D("-24"), D("2.08"), D("-26.08"), "Completed",
         "Time exit"),
        ("kill", "Long", D(200), D(200), D("270.76"), D("270.8"), D("8"), D("2.08"), D("5.92"), "Completed",
         "Kill switch"),
    ]
    assert "risk reduction: sold 200, stop to 270.34" in deals[3].comment
    assert sum((d.net_pnl for d in deals), D(0)) == D("285.32")
    assert deals[0].entry_date is not None
    assert deals[0].exit_date is not None
    assert (f"{deals[0].entry_date.astimezone(ET):%H:%M}", f"{deals[0].exit_date.astimezone(ET):%H:%M}") == \
        ("09:37", "09:41")  # at the 09:37 open (its start); the stop inside the 09:40 bar (its end)
    # the exits that rested at the broker were its bracket children; the manager sent only market exits
    exits = {t.strategy: sorted(cid.rsplit("-", 1)[1] for cid, _ in t.exit_orders.items()
                                if rig.journal.fills(cid)) for t in mgr.trades()}
    assert exits == {"stop": ["sl"], "target": ["tp"], "trail": ["sl"], "rr": ["x3", "x4"], "exit": ["x3"],
                     "time": ["x3"], "kill": ["x3"]}
    # the in-memory trades agree with the stored ones
    assert sum((t.net() for t in mgr.trades()), D(0)) == D("285.32")
    assert mgr.portfolio.ledger.pnl(mgr.portfolio.marks()).net == D("285.32")

    text = render_deals(deals, "csv")
    lines = text.splitlines()
    assert lines[0].startswith("trade_id,strategy,ss_type,ss_signal_type,symbol,entry_qty,exit_qty,entry_price")
    assert "total_charges,charges_source,fee_schedule_version" in lines[0]
    assert lines[2].split(",")[1:18] == ["target", "correlation", "Short", "SPY", "400", "400", "270.86", "270.36",
                                         "200.00", "4.13", "195.87", "0.18", "2026-11-27T10:23:00-05:00",
                                         "2026-11-27T10:31:00-05:00", "Completed",
                                         # 0.2 % of 99,901.92 over a 0.25 stop is 799 shares: capped, and said so
                                         "Profit target; POSITION_LIMIT: quantity 799 capped to 400 "
                                         "(max_trade_qty=400)", "4.00"]
    rows = json.loads(render_deals(deals, "json"))
    assert rows[3]["exit_price"] == "270.675"
    assert rows[3]["total_charges"] == "4.15"
    assert rows[6]["charges_source"] == "model"
    assert "<td class=\"comment\">Kill switch; POSITION_LIMIT: quantity 401 capped to 200 (max_trade_qty=200)</td>" in \
        render_deals(deals, "html")
