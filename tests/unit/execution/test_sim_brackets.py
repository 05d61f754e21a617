"""Protective orders rest at the simulated broker: bracket children, OCO, trailing stops, sessions and stamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from theo.adapters.sim.execution import WatchKind
from theo.execution.config import ExecutionConfig, SimulatedBrokerConfig
from theo.model.enums import OrderStatus as S
from theo.model.enums import OrderType, SessionKind, TimeInForce
from theo.model.market import Tick

from .helpers import T0, Rig, bar, children, make_rig, minute, req

D = Decimal
GTC = TimeInForce.GTC


def _tick(rig: Rig, ts: datetime, price: float, size: float = 1_000, symbol: str = "SPY") -> None:
    rig.clock.advance_to(ts)
    rig.broker.on_tick(Tick(symbol, ts, price, size))


def _stop(rig: Rig, cid: str) -> Decimal | None:
    view = rig.broker.order_status(cid)
    assert view is not None
    return view.stop_price


def test_children_go_out_with_the_entry_and_work_from_its_fill_in_one_oco_group(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    br = rig.service.submit_bracket(req("BUY", 100, "LIMIT", limit_price=D("271.10"), tif=GTC),
                                    children("BUY", 100, stop="270.50", target="272.00"))
    stop, target = br.children
    # sent together (IBKR style): the broker has all three and holds the children until the entry fills
    assert [o.status for o in (br.entry, stop, target)] == [S.ACCEPTED] * 3
    assert set(rig.broker.state.orders) == {br.entry.client_order_id, stop.client_order_id, target.client_order_id}
    assert [(w.kind, w.level) for w in rig.broker.watches("SPY")] == [(WatchKind.LOW, 271.10)]
    rig.feed(bar(T0, 271.19, 271.34, 271.15, 271.30))  # above the limit: nothing trades
    assert br.entry.filled_qty == 0
    rig.feed(bar(minute(1), 271.20, 271.25, 271.05, 271.20))  # trades through 271.10
    assert (br.entry.status, br.entry.avg_fill_price) == (S.FILLED, D("271.10"))
    working = {o.client_order_id: o for o in rig.broker.open_orders()}
    assert set(working) == {stop.client_order_id, target.client_order_id}
    legs = [(o.order_type, o.side.value, o.quantity, o.stop_price, o.limit_price, o.oco_group, o.parent_id)
            for o in working.values()]
    group = f"{br.entry.client_order_id}-oco"
    assert legs == [(OrderType.STOP, "SELL", D(100), D("270.50"), None, group, br.entry.client_order_id),
                    (OrderType.LIMIT, "SELL", D(100), None, D("272.00"), group, br.entry.client_order_id)]
    assert [(w.kind, w.level) for w in rig.broker.watches("SPY")] == [(WatchKind.LOW, 270.50),
                                                                     (WatchKind.HIGH, 272.00)]


def test_children_are_sized_to_what_the_entry_filled(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, config=ExecutionConfig(sim=SimulatedBrokerConfig(participation=0.1)))
    br = rig.service.submit_bracket(req("BUY", 150, "LIMIT", limit_price=D("271.20"), tif=GTC),
                                    children("BUY", 150, stop="270.50", target="272.00"))
    stop, target = br.children
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34, v=1_000))  # 100 of 150 at the open (10 % of 1,000)
    assert br.entry.filled_qty == D(100)
    rig.service.cancel_order(br.entry.client_order_id)
    # the broker shrinks the children to the 100 that filled and says so; the journal adopts it
    assert (stop.status, stop.quantity, target.quantity) == (S.ACCEPTED, D(100), D(100))
    assert rig.journal.load_order(stop.client_order_id).quantity == D(100)  # type: ignore[union-attr]
    rig.feed(bar(minute(1), 270.60, 270.70, 270.30, 270.40, v=10_000))
    assert [(f.quantity, f.price) for f in stop.fills] == [(D(100), D("270.50"))]
    assert (stop.status, target.status) == (S.FILLED, S.CANCELLED)
    assert rig.broker.positions() == {}
    assert rig.service.positions() == {}


def test_a_held_child_never_trades_more_than_its_parent_filled(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, config=ExecutionConfig(sim=SimulatedBrokerConfig(participation=0.1)))
    br = rig.service.submit_bracket(req("BUY", 150, "LIMIT", limit_price=D("271.20"), tif=GTC),
                                    children("BUY", 150, stop="270.50"))
    [stop] = br.children
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34, v=1_000))  # 100 filled
    # the stop is worked before the entry's limit: its room is the 100 filled, not the 1,000 of participation
    rig.feed(bar(minute(1), 271.30, 271.30, 270.40, 270.45, v=10_000))
    assert [(f.quantity, f.price) for f in stop.fills] == [(D(100), D("270.50"))]
    assert (br.entry.status, br.entry.filled_qty) == (S.FILLED, D(150))  # the limit filled after the stop
    assert (stop.status, rig.broker.positions()["SPY"].quantity) == (S.PARTIALLY_FILLED, D(50))
    rig.feed(bar(minute(2), 270.40, 270.45, 270.30, 270.35, v=10_000))  # now the rest: opened below the stop
    assert [(f.quantity, f.price) for f in stop.fills] == [(D(100), D("270.50")), (D(50), D("270.40"))]
    assert rig.broker.positions() == {}


def test_the_stop_fills_on_the_tick_that_crosses_it_at_the_tick_price_and_cancels_the_target(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    br = rig.service.submit_bracket(req("BUY", 100), children("BUY", 100, stop="270.50", target="272.00"))
    stop, target = br.children
    _tick(rig, T0 + timedelta(seconds=1), 271.00)
    assert (br.entry.avg_fill_price, br.entry.fills[0].ts) == (D("271.00"), T0 + timedelta(seconds=1))
    _tick(rig, T0 + timedelta(seconds=2), 270.51)
    assert stop.status is S.ACCEPTED
    _tick(rig, T0 + timedelta(seconds=3), 270.47)  # a print below the stop: it trades at the print
    assert [(f.price, f.ts) for f in stop.fills] == [(D("270.47"), T0 + timedelta(seconds=3))]
    assert (stop.status, target.status) == (S.FILLED, S.CANCELLED)
    assert target.reason == f"OCO: {stop.client_order_id} filled"
    assert rig.broker.positions() == {}


def test_the_stop_fills_at_its_level_in_a_bar_or_at_the_open_that_gaps_through_it(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    spy = rig.service.submit_bracket(req("BUY", 10), children("BUY", 10, stop="270.90", target="272.00"))
    aapl = rig.service.submit_bracket(req("BUY", 10, symbol="AAPL"),
                                      children("BUY", 10, stop="99.50", target="101.00", symbol="AAPL"))
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.30))
    rig.feed(bar(T0, 100.00, 100.20, 99.80, 100.10, symbol="AAPL"))
    assert (spy.entry.avg_fill_price, aapl.entry.avg_fill_price) == (D("271.19"), D("100.00"))
    rig.feed(bar(minute(1), 271.10, 271.20, 270.80, 270.85))  # crosses 270.90 inside the bar
    rig.feed(bar(minute(1), 99.20, 99.40, 99.10, 99.30, symbol="AAPL"))  # opens below 99.50
    spy_stop, spy_target = spy.children
    aapl_stop, aapl_target = aapl.children
    assert [(f.price, f.ts) for f in spy_stop.fills] == [(D("270.90"), minute(2))]  # the level, the bar's end
    assert [(f.price, f.ts) for f in aapl_stop.fills] == [(D("99.20"), minute(1))]  # the open, the bar's start
    assert (spy_target.status, aapl_target.status) == (S.CANCELLED, S.CANCELLED)


def test_a_bar_spanning_stop_and_target_counts_as_the_stop(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    br = rig.service.submit_bracket(req("BUY", 10), children("BUY", 10, stop="270.90", target="271.60"))
    stop, target = br.children
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.30))
    rig.feed(bar(minute(1), 271.20, 271.70, 270.80, 271.50))  # both levels inside: the worse one is assumed
    assert (stop.status, stop.avg_fill_price, target.status) == (S.FILLED, D("270.90"), S.CANCELLED)


def test_children_work_on_the_bar_their_entry_fills(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    br = rig.service.submit_bracket(req("BUY", 10), children("BUY", 10, stop="270.90", target="272.00"))
    rig.feed(bar(T0, 271.19, 271.34, 270.80, 270.85))  # entry at the open, then the low goes through the stop
    stop, _ = br.children
    assert [(f.price, f.ts) for f in br.entry.fills] == [(D("271.19"), T0)]
    assert [(f.price, f.ts) for f in stop.fills] == [(D("270.90"), minute(1))]


def test_a_day_entry_expires_by_the_clock_and_takes_its_children_with_it(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    br = rig.service.submit_bracket(req("BUY", 10, "LIMIT", limit_price=D("250.00")),
                                    children("BUY", 10, stop="249.00", target="252.00"))
    rig.clock.advance_to(datetime(2019, 2, 11, 20, 59, tzinfo=UTC))
    assert br.entry.status is S.ACCEPTED
    rig.clock.advance_to(datetime(2019, 2, 11, 21, 0, tzinfo=UTC))  # 16:00 ET: the broker's timer fires
    assert br.entry.status is S.EXPIRED
    assert [(c.status, c.reason) for c in br.children] == \
        [(S.CANCELLED, f"parent {br.entry.client_order_id} ended without a fill")] * 2
    assert rig.broker.open_orders() == []


def test_a_trailing_child_keeps_its_initial_stop_and_only_tightens(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    br = rig.service.submit_bracket(req("BUY", 10), children("BUY", 10, stop="270.50", trail_percent="1"))
    [trail] = br.children
    cid = trail.client_order_id
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.30))
    # 1 % under the 271.19 fill (268.47) and under the high 271.34 (268.62) is looser than 270.50: kept
    assert _stop(rig, cid) == D("270.50")
    rig.feed(bar(minute(1), 271.30, 275.00, 271.20, 274.50))  # the high lifts it: 275 x 0.99 = 272.25
    assert _stop(rig, cid) == D("272.25")
    rig.feed(bar(minute(2), 274.40, 274.60, 273.00, 273.50))  # a lower high: it does not loosen
    assert _stop(rig, cid) == D("272.25")
    rig.feed(bar(minute(3), 273.40, 273.50, 272.00, 272.10))
    assert [(f.price, f.ts) for f in trail.fills] == [(D("272.25"), minute(4))]


def test_a_trailing_child_is_a_plain_stop_until_its_trigger(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    br = rig.service.submit_bracket(req("BUY", 10),
                                    children("BUY", 10, stop="270.50", trail_amount="0.50", trigger="271.60"))
    [trail] = br.children
    cid = trail.client_order_id
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.30))
    assert _stop(rig, cid) == D("270.50")  # without its trigger it would trail from the fill: 270.69
    rig.feed(bar(minute(1), 271.30, 271.55, 271.10, 271.40))  # below the trigger: still the initial stop
    assert _stop(rig, cid) == D("270.50")
    rig.feed(bar(minute(2), 271.40, 271.80, 271.35, 271.70))  # reaches 271.60: trails from this high
    assert _stop(rig, cid) == D("271.30")
    rig.feed(bar(minute(3), 271.60, 271.65, 271.25, 271.30))
    assert [(f.price, f.ts) for f in trail.fills] == [(D("271.30"), minute(4))]


def test_no_fill_on_a_holiday_nor_after_an_early_close(tmp_path: Path) -> None:
    wed = datetime(2026, 11, 25, 21, 30, tzinfo=UTC)  # 16:30 ET; Thu 26 is Thanksgiving, Fri 27 closes at 13:00
    rig = make_rig(tmp_path, start=wed)
    day = rig.service.create_order(req("BUY", 10))  # a DAY market order: it works the next session
    gtc = rig.service.create_order(req("BUY", 10, "LIMIT", limit_price=D("272.00"), tif=GTC))
    rig.feed(bar(datetime(2026, 11, 26, 15, 0, tzinfo=UTC), 271.0, 271.2, 270.8, 271.0, session=SessionKind.CLOSED))
    assert (day.status, gtc.status) == (S.ACCEPTED, S.ACCEPTED)
    ext = rig.service.create_order(req("BUY", 10, "LIMIT", limit_price=D("272.00"), tif=GTC, outside_rth=True))
    holiday = datetime(2026, 11, 26, 15, 1, tzinfo=UTC)
    rig.feed(bar(holiday, 271.0, 271.2, 270.8, 271.0, session=SessionKind.CLOSED))
    _tick(rig, holiday + timedelta(minutes=5), 270.90)  # no venue is open: not even outside-RTH orders trade
    assert ext.fills == []
    late = datetime(2026, 11, 27, 18, 30, tzinfo=UTC)  # 13:30 ET: post-market of the early-close day
    rig.feed(bar(late, 271.0, 271.2, 270.8, 271.0, session=SessionKind.POST))
    assert day.status is S.EXPIRED  # its session closed at 13:00 ET: the clock expired it on the way
    assert "2026-11-27 13:00 ET" in day.reason
    assert (gtc.status, gtc.fills) == (S.ACCEPTED, [])
    assert (ext.status, ext.avg_fill_price) == (S.FILLED, D("271.00"))  # outside-RTH limits may trade there
    _tick(rig, late + timedelta(minutes=5), 270.90)  # a post-market print: the calendar says not regular
    assert gtc.fills == []
    mon = datetime(2026, 11, 30, 14, 30, tzinfo=UTC)
    rig.feed(bar(mon, 271.5, 271.6, 271.4, 271.5))
    assert [(f.price, f.ts) for f in gtc.fills] == [(D("271.50"), mon)]
