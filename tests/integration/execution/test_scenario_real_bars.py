"""Scripted scenario on real SPY 1-minute bars: every order type and time in force, two brackets (one-cancels-
other children), partial fills and a DAY expiry at an early close, with fill prices, quantities, stamps and
charges worked out by hand.

Data: ``eqker/SPY_1min_2019-02-11_2019-02-15.csv.gz``, the session of Mon 2019-02-11 (390 bars). That week
has no early close, so the same bars are re-stamped onto Fri 2026-11-27 (the day after Thanksgiving, NYSE
closes at 13:00 ET) at the same ET wall-clock times; both dates are EST (UTC-5). Bars after 13:00 ET then
belong to the post-market of that day, as the calendar says. The SEC fee rate on 2026-11-27 is 0.00
(market-rules.md §7.2), so sales pay FINRA TAF and CAT only.

Settings: fixed IBKR schedule, 1 tick of slippage on market and stop fills, participation 0.2 % of each
bar's volume (one cap per bar). Orders are placed when a bar has closed (clock = bar end) and work from the
next bar on: what trades at a bar's open is stamped with the bar's start, what its range reaches with its end.
A bracket's children work from the entry's fill on, in the same bar. DAY orders expire by the clock.
Bar prices are rounded to the cent half-even (271.455 -> 271.46, 271.405 -> 271.40).

Bars used (ET start, O/H/L/C, volume -> 0.2 % cap):
  09:30 271.19 271.34 271.07 271.34  1,488,804      09:31 271.32 271.32 271.22 271.24  251,600 -> 503
  09:32 271.23 271.33 271.04 271.05  355,711 -> 711  09:33 271.06 271.31 271.06 271.20  220,794 -> 441
  09:34 271.17 271.37 271.17 271.29                  09:35 271.29 271.46 271.29 271.46
  09:36 271.47 271.47 271.37 271.45                  09:37 271.43 271.46 271.32 271.40
  09:38 271.40 271.48 271.28 271.35                  09:39 271.38 271.40 271.15 271.20
  09:40 271.19 271.19 270.87 270.98                  09:41 270.98 271.18 270.98 271.10  198,229 -> 396
  09:42 271.10 271.11 270.94 271.07                  09:43 271.07 271.17 271.05 271.10
  09:44 271.14 271.18 271.00 271.00                  09:45 271.00 271.10 270.96 270.96
  09:46 270.97 271.11 270.97 271.10                  09:47 271.08 271.08 270.83 270.87
The day's lowest low is 270.03.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from tests.realbars import spy_session_restamped
from tests.unit.execution.helpers import children, make_rig, req
from theo.core.calendar import ET
from theo.execution.config import ExecutionConfig, SimulatedBrokerConfig
from theo.execution.service import Bracket
from theo.model.enums import OrderStatus as S
from theo.model.enums import TimeInForce
from theo.model.market import Bar
from theo.model.orders import Order

D = Decimal

DAY = date(2026, 11, 27)
GTC, IOC, FOK = TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK


def restamped_bars() -> list[Bar]:
    return spy_session_restamped(DAY)


def et(hhmm: str) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(DAY.year, DAY.month, DAY.day, h, m, tzinfo=ET).astimezone(UTC)


def test_scripted_day_on_real_bars(tmp_path: Path) -> None:
    bars = restamped_bars()
    cfg = ExecutionConfig(sim=SimulatedBrokerConfig(slippage_ticks=1, participation=0.002))
    rig = make_rig(tmp_path, config=cfg, start=bars[0].start)
    svc = rig.service
    o: dict[str, object] = {}

    def order(key: str) -> Order:
        found = o[key]
        assert isinstance(found, Order)
        return svc.get_order_status(found.client_order_id)

    def after_bar(i: int) -> None:
        if i == 0:  # 09:31 ET
            o["market"] = svc.create_order(req("BUY", 300))
            o["limit"] = svc.create_order(req("BUY", 100, "LIMIT", limit_price=D("271.10"), tif=GTC))
            o["stop"] = svc.create_order(req("BUY", 200, "STOP", stop_price=D("271.45")))
            o["stop_limit"] = svc.create_order(req("SELL", 100, "STOP_LIMIT", stop_price=D("271.10"),
                                                   limit_price=D("271.05"), tif=GTC))
            o["trail"] = svc.create_order(req("SELL", 100, "TRAILING_STOP", trail_amount=D("0.35"), tif=GTC))
            o["ioc"] = svc.create_order(req("BUY", 1000, tif=IOC))
            o["fok"] = svc.create_order(req("BUY", 600, "LIMIT", limit_price=D("271.35"), tif=FOK))
            o["ioc_limit"] = svc.create_order(req("BUY", 100, "LIMIT", limit_price=D("271.30"), tif=IOC))
            o["big"] = svc.create_order(req("SELL", 1500, tif=GTC))
            o["day"] = svc.create_order(req("BUY", 100, "LIMIT", limit_price=D("269.00")))
            o["day_ext"] = svc.create_order(req("BUY", 100, "LIMIT", limit_price=D("269.00"), outside_rth=True))
            o["gtc"] = svc.create_order(req("BUY", 100, "LIMIT", limit_price=D("269.00"), tif=GTC))
            o["to_modify"] = svc.create_order(req("BUY", 100, "LIMIT", limit_price=D("270.00"), tif=GTC))
            o["to_cancel"] = svc.create_order(req("SELL", 100, "LIMIT", limit_price=D("272.50"), tif=GTC))
        elif i == 5:
            svc.cancel_order(order("to_cancel").client_order_id)
        elif i == 10:  # 09:41 ET
            o["bracket"] = svc.submit_bracket(req("BUY", 100, "LIMIT", limit_price=D("271.00"), tif=GTC),
                                              children("BUY", 100, stop="270.80", target="271.15"))
        elif i == 12:
            svc.modify_order(order("to_modify").client_order_id, limit_price=D("270.90"))
        elif i == 13:  # 09:44 ET: a short at the market, its stop above and its target below
            o["short"] = svc.submit_bracket(req("SELL", 100, tif=GTC),
                                            children("SELL", 100, stop="271.30", target="270.90"))

    for i, b in enumerate(bars):
        rig.clock.advance_to(b.end)
        rig.broker.on_bar(b)
        after_bar(i)
    rig.clock.advance_to(et("17:00"))  # post-market close of an early-close day: the last DAY timer

    def now(o: Order) -> Order:
        return svc.get_order_status(o.client_order_id)

    def fills(key: str) -> list[tuple[D, D, datetime, D]]:
        return [(f.quantity, f.price, f.ts, f.charges.total) for f in order(key).fills]

    def status(key: str) -> S:
        return order(key).status

    # MARKET BUY 300: 09:31 open 271.32 + 1 tick, at that bar's start. 0.005 x 300 = 1.50; CAT 300 x 0.000072
    # = 0.0216 -> 0.03
    assert fills("market") == [(D(300), D("271.33"), et("09:31"), D("1.53"))]
    # LIMIT BUY 100 @ 271.10: 09:32 opens 271.23, low 271.04 trades through -> 271.10; 1.00 + CAT 0.01
    assert fills("limit") == [(D(100), D("271.10"), et("09:33"), D("1.01"))]
    # STOP BUY 200 @ 271.45: first high >= 271.45 is 09:35 (271.46) -> max(open 271.29, 271.45) + 1 tick;
    # 0.005 x 200 = 1.00; CAT 0.0144 -> 0.02
    assert fills("stop") == [(D(200), D("271.46"), et("09:36"), D("1.02"))]
    # STOP_LIMIT SELL stop 271.10 limit 271.05: 09:32 low 271.04 triggers at min(271.23, 271.10) = 271.10,
    # inside the limit -> 271.10; 1.00 + TAF 100 x 0.000166 = 0.0166 -> 0.02 + CAT 0.01
    assert fills("stop_limit") == [(D(100), D("271.10"), et("09:33"), D("1.03"))]
    # TRAILING SELL 0.35 from the last price 271.34: stop 270.99; the highs lift it to 271.02 (09:34),
    # 271.11 (09:35), 271.12 (09:36), 271.13 (09:38); 09:40 opens 271.19, low 270.87 -> 271.13 - 1 tick
    assert fills("trail") == [(D(100), D("271.12"), et("09:41"), D("1.03"))]
    # IOC MARKET BUY 1000: the 09:31 cap is 503 shares at 271.33 (its open), the rest cancelled.
    # 0.005 x 503 = 2.515 -> 2.52 (half-even); CAT 503 x 0.000072 = 0.036 -> 0.04
    assert fills("ioc") == [(D(503), D("271.33"), et("09:31"), D("2.56"))]
    assert status("ioc") is S.CANCELLED
    # FOK LIMIT BUY 600 @ 271.35: marketable at the 271.32 open, but only 503 may fill -> killed, no fill
    assert (fills("fok"), status("fok")) == ([], S.CANCELLED)
    # IOC LIMIT BUY 100 @ 271.30: the first price (open 271.32) is above the limit -> cancelled
    assert (fills("ioc_limit"), status("ioc_limit")) == ([], S.CANCELLED)
    # MARKET SELL 1500 by participation, one cap per bar, each at a bar's open (its start): 503 @ 271.31,
    # 711 @ 271.22, 286 @ 271.05 (opens - 1 tick).
    # Commission on the order's running total: 2.515 -> 2.52; 6.07 -> +3.55; 7.50 -> +1.43.
    # TAF 0.0835 -> 0.09, 0.1180 -> 0.12, 0.0475 -> 0.05; CAT 0.0362 -> 0.04, 0.0512 -> 0.06, 0.0206 -> 0.03
    assert fills("big") == [(D(503), D("271.31"), et("09:31"), D("2.65")),
                            (D(711), D("271.22"), et("09:32"), D("3.73")),
                            (D(286), D("271.05"), et("09:33"), D("1.51"))]
    assert sum(f.charges.commission for f in order("big").fills) == D("7.50")
    # Bracket BUY 100 @ 271.00: 09:41 opens 270.98 -> entry 270.98 at 09:41 (1.01); its children work from
    # then on: the same bar's high 271.18 trades through the 271.15 target, stamped with its end 09:42
    # (1.00 + TAF 0.02 + CAT 0.01); the stop is cancelled
    br = o["bracket"]
    assert isinstance(br, Bracket)
    stop, target = br.children
    assert [(f.quantity, f.price, f.ts, f.charges.total) for f in br.entry.fills] == [
        (D(100), D("270.98"), et("09:41"), D("1.01"))]
    assert [(f.quantity, f.price, f.ts, f.charges.total) for f in now(target).fills] == [
        (D(100), D("271.15"), et("09:42"), D("1.03"))]
    assert (now(target).status, now(stop).status) == (S.FILLED, S.CANCELLED)
    assert now(stop).reason == f"OCO: {target.client_order_id} filled"
    # Short bracket SELL 100 at the 09:44 open 271.14 - 1 tick = 271.13 (1.00 + TAF 0.02 + CAT 0.01); its buy
    # target 270.90 is reached by the 09:47 low 270.83 -> 270.90 at 09:48 (1.01); its stop 271.30 cancelled
    short = o["short"]
    assert isinstance(short, Bracket)
    short_stop, short_target = short.children
    assert [(f.quantity, f.price, f.ts, f.charges.total) for f in now(short.entry).fills] == [
        (D(100), D("271.13"), et("09:44"), D("1.03"))]
    assert [(f.quantity, f.price, f.ts, f.charges.total) for f in now(short_target).fills] == [
        (D(100), D("270.90"), et("09:48"), D("1.01"))]
    assert (now(short_stop).status, now(short_stop).fills) == (S.CANCELLED, [])
    # Modified 270.00 -> 270.90 at 09:43; 09:47 opens 271.08, low 270.83 -> 270.90
    assert fills("to_modify") == [(D(100), D("270.90"), et("09:48"), D("1.01"))]
    assert status("to_cancel") is S.CANCELLED
    # DAY orders: the regular one expires at the 13:00 ET early close, the outside-RTH one at 17:00 ET
    day = order("day")
    assert day.status is S.EXPIRED
    assert "2026-11-27 13:00 ET" in day.reason
    last = rig.journal.events(day.client_order_id)[-1]
    # expired by the broker's clock timer at the close itself, not by a later bar
    assert (last["kind"], last["payload"]["broker_ts"], last["ts"]) == ("expired", et("13:00").isoformat(), et("13:00"))
    assert status("day_ext") is S.EXPIRED
    assert status("gtc") is S.ACCEPTED  # GTC works on
    # Position: +300 +100 +200 -100 -100 +503 -1500 +100 -100 -100 +100 +100 = -497, equal at the broker
    assert svc.positions() == {"SPY": D(-497)}
    assert rig.broker.positions()["SPY"].quantity == D(-497)
    assert {e.exec_id for e in rig.broker.executions()} == rig.journal.exec_ids()
