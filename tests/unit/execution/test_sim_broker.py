"""Fill rules of the simulated broker, DAY expiry, GTC persistence and its on-disk state."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from theo.adapters.sim.execution import SimulatedBroker
from theo.adapters.sim.state import load_state
from theo.core.errors import BrokerError
from theo.execution.config import ExecutionConfig, SimulatedBrokerConfig
from theo.model.enums import Allocation, Routing, SessionKind, TimeInForce
from theo.model.enums import OrderStatus as S

from .helpers import INSTRUMENTS, T0, bar, children, make_rig, minute, req

D = Decimal


def _cfg(**sim: object) -> ExecutionConfig:
    return ExecutionConfig(sim=SimulatedBrokerConfig(**sim))  # type: ignore[arg-type]


def test_market_fills_at_next_bar_open_with_slippage(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, config=_cfg(slippage_ticks=2))
    buy = rig.service.create_order(req("BUY", 100))
    sell = rig.service.create_order(req("SELL", 50, symbol="AAPL"))
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34))
    rig.feed(bar(T0, 100.00, 100.5, 99.5, 100.2, symbol="AAPL"))
    assert buy.status is S.FILLED
    assert buy.avg_fill_price == D("271.21")
    assert sell.fills[0].price == D("99.98")  # open - 2 x 0.01
    assert buy.fills[0].ts == T0  # it traded at the open: stamped with the bar's start


def test_a_market_order_sent_at_a_close_fills_at_the_next_open_stamped_with_that_bar_start(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34))  # the clock is at its close, 09:31
    order = rig.service.create_order(req("BUY", 100))
    stop = rig.service.create_order(req("SELL", 100, "STOP", stop_price=D("271.00"), tif=TimeInForce.GTC))
    rig.feed(bar(minute(1), 271.32, 271.32, 271.22, 271.24))
    assert [(f.price, f.ts) for f in order.fills] == [(D("271.32"), minute(1))]
    assert stop.status is S.ACCEPTED
    rig.feed(bar(minute(2), 271.23, 271.33, 270.95, 271.05))  # low 270.95 crosses the stop inside the bar
    assert [(f.price, f.ts) for f in stop.fills] == [(D("271.00"), minute(3))]  # at its level, at the bar's end


def test_order_never_trades_on_a_bar_that_began_before_it(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    rig.clock.advance_to(T0 + timedelta(seconds=30))
    order = rig.service.create_order(req("BUY", 10))
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34))
    assert order.status is S.ACCEPTED
    rig.feed(bar(minute(1), 271.32, 271.32, 271.22, 271.24))
    assert order.avg_fill_price == D("271.32")


@pytest.mark.parametrize(("mode", "low", "expected"), [
    ("through", 271.00, None),  # touching the limit is not enough
    ("touch", 271.00, "271.00"),
    ("through", 270.99, "271.00"),  # traded through: filled at the limit
])
def test_limit_fills_when_traded_through(tmp_path: Path, mode: str, low: float, expected: str | None) -> None:
    rig = make_rig(tmp_path, config=_cfg(limit_fill=mode))
    order = rig.service.create_order(req("BUY", 10, "LIMIT", limit_price=D("271.00")))
    rig.feed(bar(T0, 271.19, 271.34, low, 271.2))
    assert order.avg_fill_price == (D(expected) if expected else None)


def test_limit_fills_at_a_better_open(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    order = rig.service.create_order(req("SELL", 10, "LIMIT", limit_price=D("271.00")))
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34))
    assert order.avg_fill_price == D("271.19")


def test_stop_triggers_at_stop_or_at_a_gapped_open(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, config=_cfg(slippage_ticks=1))
    at_stop = rig.service.create_order(req("BUY", 10, "STOP", stop_price=D("271.30")))
    gapped = rig.service.create_order(req("SELL", 10, "STOP", stop_price=D("271.30"), symbol="AAPL"))
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34))
    rig.feed(bar(T0, 271.10, 271.20, 271.00, 271.05, symbol="AAPL"))
    assert at_stop.avg_fill_price == D("271.31")  # stop 271.30 + 1 tick
    assert gapped.avg_fill_price == D("271.09")  # opened below the stop: open 271.10 - 1 tick


def test_stop_limit_gapping_past_its_limit_then_works_as_a_limit(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    order = rig.service.create_order(req("SELL", 10, "STOP_LIMIT", stop_price=D("271.00"),
                                         limit_price=D("270.95")))
    rig.feed(bar(T0, 270.90, 270.94, 270.80, 270.92))  # triggered at 270.90, below the 270.95 limit
    assert order.status is S.ACCEPTED
    rig.feed(bar(minute(1), 270.92, 271.00, 270.90, 270.99))  # trades through 270.95
    assert order.avg_fill_price == D("270.95")


def test_stop_limit_fills_at_trigger_inside_its_limit(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    order = rig.service.create_order(req("BUY", 10, "STOP_LIMIT", stop_price=D("271.30"), limit_price=D("271.40")))
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34))
    assert order.avg_fill_price == D("271.30")


def test_trailing_stop_follows_the_price(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    rig.feed(bar(T0, 271.0, 271.0, 271.0, 271.00))  # last price 271.00, nothing working yet
    order = rig.service.create_order(req("SELL", 10, "TRAILING_STOP", trail_amount=D("0.50")))
    assert rig.broker.order_status(order.client_order_id).stop_price == D("270.50")  # type: ignore[union-attr]
    rig.feed(bar(minute(1), 271.0, 271.8, 270.9, 271.7))  # no trigger at 270.50; the high lifts the stop
    assert rig.broker.order_status(order.client_order_id).stop_price == D("271.30")  # type: ignore[union-attr]
    rig.feed(bar(minute(2), 271.5, 271.6, 271.2, 271.3))
    assert order.avg_fill_price == D("271.30")


def test_trailing_percent_rounds_the_stop_away_from_the_market(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    rig.feed(bar(T0, 200.37, 200.37, 200.37, 200.37))
    order = rig.service.create_order(req("SELL", 10, "TRAILING_STOP", trail_percent=D("1")))
    # 200.37 x 0.99 = 198.3663 -> 198.36 (down, for a sell stop)
    assert rig.broker.order_status(order.client_order_id).stop_price == D("198.36")  # type: ignore[union-attr]


def test_ioc_fills_what_it_can_and_cancels_the_rest(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, config=_cfg(participation=0.01))
    ioc = rig.service.create_order(req("BUY", 100, tif=TimeInForce.IOC))
    fok = rig.service.create_order(req("BUY", 100, symbol="AAPL", tif=TimeInForce.FOK))
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34, v=5_000))  # 1 % of 5,000 = 50 shares
    rig.feed(bar(T0, 100.0, 100.1, 99.9, 100.0, v=5_000, symbol="AAPL"))
    assert (ioc.status, ioc.filled_qty) == (S.CANCELLED, D(50))
    assert (fok.status, fok.filled_qty, fok.fills) == (S.CANCELLED, D(0), [])


def test_ioc_limit_not_marketable_at_the_open_is_cancelled(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    order = rig.service.create_order(req("BUY", 10, "LIMIT", limit_price=D("271.10"), tif=TimeInForce.IOC))
    rig.feed(bar(T0, 271.19, 271.34, 271.00, 271.34))  # low goes through, but IOC only sees the open
    assert order.status is S.CANCELLED
    assert order.filled_qty == 0


def test_partial_fills_by_volume_participation(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, config=_cfg(participation=0.1))
    order = rig.service.create_order(req("BUY", 250, tif=TimeInForce.GTC))
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34, v=1_000))
    assert (order.status, order.filled_qty) == (S.PARTIALLY_FILLED, D(100))
    rig.feed(bar(minute(1), 271.32, 271.32, 271.22, 271.24, v=1_000))
    rig.feed(bar(minute(2), 271.23, 271.33, 271.04, 271.05, v=1_000))
    assert order.status is S.FILLED
    assert [f.quantity for f in order.fills] == [D(100), D(100), D(50)]
    # VWAP: (100 x 271.19 + 100 x 271.32 + 50 x 271.23) / 250 = 271.25
    assert order.avg_fill_price == D("271.25")
    # one order, one minimum: 0.005 x 250 = 1.25 over three fills
    assert sum(f.charges.commission for f in order.fills) == D("1.25")
    assert ("orders.partially_filled", S.PARTIALLY_FILLED) in rig.published


def test_day_order_expires_at_the_early_close(tmp_path: Path) -> None:
    start = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # Fri after Thanksgiving, 10:00 ET; close 13:00 ET
    rig = make_rig(tmp_path, start=start)
    day = rig.service.create_order(req("BUY", 10, "LIMIT", limit_price=D("100.00")))
    gtc = rig.service.create_order(req("BUY", 10, "LIMIT", limit_price=D("100.00"), tif=TimeInForce.GTC))
    rig.broker.on_time(datetime(2026, 11, 27, 17, 59, 59, tzinfo=UTC))
    assert day.status is S.ACCEPTED
    rig.broker.on_time(datetime(2026, 11, 27, 18, 0, tzinfo=UTC))  # 13:00 ET
    assert day.status is S.EXPIRED
    assert "2026-11-27 13:00 ET" in day.reason
    assert gtc.status is S.ACCEPTED


def test_day_order_expires_at_the_regular_close_and_outside_rth_at_post_close(tmp_path: Path) -> None:
    start = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    rig = make_rig(tmp_path, start=start)
    day = rig.service.create_order(req("BUY", 10, "LIMIT", limit_price=D("100.00")))
    ext = rig.service.create_order(req("BUY", 10, "LIMIT", limit_price=D("100.00"), outside_rth=True))
    rig.broker.on_time(datetime(2026, 11, 24, 21, 0, tzinfo=UTC))  # 16:00 EST
    assert (day.status, ext.status) == (S.EXPIRED, S.ACCEPTED)
    rig.broker.on_time(datetime(2026, 11, 25, 1, 0, tzinfo=UTC))  # 20:00 EST
    assert ext.status is S.EXPIRED


def test_day_order_entered_after_the_close_works_the_next_session(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, start=datetime(2026, 11, 25, 23, 0, tzinfo=UTC))  # Wed 18:00 ET; Thu is a holiday
    order = rig.service.create_order(req("BUY", 10, "LIMIT", limit_price=D("100.00")))
    assert rig.broker.state.orders[order.client_order_id].expires_at == datetime(2026, 11, 27, 18, 0, tzinfo=UTC)


def test_regular_hours_orders_skip_extended_hours_bars(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, start=T0 - timedelta(hours=2))
    rth = rig.service.create_order(req("BUY", 10, "LIMIT", limit_price=D("272.00")))
    ext = rig.service.create_order(req("BUY", 10, "LIMIT", limit_price=D("272.00"), outside_rth=True))
    rig.feed(bar(T0 - timedelta(hours=1), 271.5, 271.6, 271.4, 271.5, session=SessionKind.PRE))
    assert (rth.status, ext.status) == (S.ACCEPTED, S.FILLED)


def test_oco_first_fill_cancels_the_other(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    br = rig.service.submit_bracket(req("BUY", 10), children("BUY", 10, stop="270.00", target="271.30"))
    stop, target = br.children
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34))  # entry at the open; the high trades through 271.30
    assert (br.entry.status, target.status, stop.status) == (S.FILLED, S.FILLED, S.CANCELLED)
    assert stop.reason == f"OCO: {target.client_order_id} filled"
    assert rig.broker.positions() == {}


def test_gtc_order_survives_a_restart(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    order = rig.service.create_order(req("BUY", 10, "LIMIT", limit_price=D("270.00"), tif=TimeInForce.GTC))
    rig.service.stop()
    again = SimulatedBroker(ExecutionConfig(), rig.clock, INSTRUMENTS, tmp_path / "sim.db")
    assert [o.client_order_id for o in again.open_orders()] == [order.client_order_id]
    assert again.open_orders()[0].limit_price == D("270.00")
    fills = []
    again.subscribe(fills.append)
    rig.clock.advance_to(minute(1) + timedelta(days=1))
    again.on_bar(bar(T0 + timedelta(days=1), 270.5, 270.5, 269.5, 270.0))
    assert fills[0].execution.price == D("270.00")


def test_a_bar_seen_twice_is_worked_once(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, config=_cfg(participation=0.1))
    order = rig.service.create_order(req("BUY", 250, tif=TimeInForce.GTC))
    b = bar(T0, 271.19, 271.34, 271.07, 271.34, v=1_000)
    rig.feed(b)
    rig.feed(b)
    assert order.filled_qty == D(100)


def test_a_restart_between_a_bars_two_steps_neither_repeats_the_open_nor_spends_its_volume_twice(
        tmp_path: Path) -> None:
    rig = make_rig(tmp_path, config=_cfg(participation=0.1))
    order = rig.service.create_order(req("BUY", 250, tif=TimeInForce.GTC))
    b = bar(T0, 271.19, 271.34, 271.07, 271.34, v=1_000)
    rig.clock.advance_to(b.end)
    rig.broker.work_open("SPY", b.start, 271.19, 1_000, True)  # 100 at the open, then the process dies
    assert order.filled_qty == D(100)
    rig.broker.disconnect()
    again = SimulatedBroker(rig.broker.config, rig.clock, rig.broker.instruments, tmp_path / "sim.db")
    assert again.state.orders[order.client_order_id].filled_qty == D(100)
    again.on_bar(b)  # the replayed bar: its open already ran, its range finds the bar's volume spent
    assert again.state.orders[order.client_order_id].filled_qty == D(100)
    assert len(again.state.executions) == 1
    again.on_bar(bar(minute(1), 271.32, 271.32, 271.22, 271.24, v=1_000))
    assert again.state.orders[order.client_order_id].filled_qty == D(200)


def test_state_file_is_sqlite_and_an_unreadable_file_is_reported(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    rig.service.create_order(req("BUY", 10))
    with sqlite3.connect(tmp_path / "sim.db") as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'version'").fetchone() == ("3",)
        assert conn.execute("SELECT cid FROM orders").fetchall() == [("man-20190211-0001",)]
    (tmp_path / "bad.db").write_text('{"version": 1, "cash": "1"')  # an old JSON state, or any other file
    with pytest.raises(BrokerError, match=r"bad\.db is unreadable .*move it away"):
        load_state(tmp_path / "bad.db", D(0))


def test_a_save_writes_only_what_changed(tmp_path: Path) -> None:
    """The cost of a change does not grow with the history: old orders and executions are not rewritten."""
    rig = make_rig(tmp_path)
    for i in range(20):
        rig.service.create_order(req("BUY", 10))
        rig.feed(bar(minute(i), 271.19, 271.34, 271.07, 271.34))
    far = rig.service.create_order(req("BUY", 10, "LIMIT", limit_price=D("200.00"), tif=TimeInForce.GTC))
    trail = rig.service.create_order(req("SELL", 10, "TRAILING_STOP", trail_amount=D("1.00"), tif=TimeInForce.GTC))
    writes: list[str] = []
    rig.broker._store._conn.set_trace_callback(writes.append)  # type: ignore[union-attr]
    rig.feed(bar(minute(20), 271.30, 271.60, 271.07, 271.34))  # the high lifts the trailing stop to 270.60
    assert rig.broker.order_status(trail.client_order_id).stop_price == D("270.60")  # type: ignore[union-attr]
    order_rows = [w for w in writes if "INTO orders" in w]
    assert len(order_rows) == 1
    assert trail.client_order_id in order_rows[0]
    assert [w for w in writes if "INTO executions" in w] == []
    assert writes.count("COMMIT") == 1
    writes.clear()
    rig.feed(bar(minute(21), 271.30, 271.32, 271.20, 271.25))  # nothing moves, nothing fills: no save at all
    assert writes == []
    assert rig.broker.state.last_seen["SPY"] == minute(21)  # kept in memory, saved with the next change
    assert far.status is S.ACCEPTED


def test_state_on_disk_equals_the_state_in_memory(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, config=_cfg(participation=0.1, slippage_ticks=1))
    svc = rig.service
    svc.create_order(req("BUY", 350, tif=TimeInForce.GTC, routing=Routing.ARCA, allocation=Allocation.PRO_RATA))
    svc.create_order(req("SELL", 30, "TRAILING_STOP", trail_percent=D("0.1"), tif=TimeInForce.GTC))
    svc.submit_bracket(req("BUY", 20, tif=TimeInForce.GTC), children("BUY", 20, stop="270.00", target="271.40"))
    svc.create_order(req("BUY", 10, "LIMIT", limit_price=D("200.00")))
    for i, (o, h, lo, c) in enumerate([(271.19, 271.34, 271.07, 271.34), (271.32, 271.45, 271.22, 271.24),
                                       (271.23, 271.33, 271.04, 271.05)]):
        rig.feed(bar(minute(i), o, h, lo, c, v=1_000))
    rig.broker.on_time(minute(60 * 7))  # past the close: the DAY order expires
    statuses = sorted(o.status.value for o in rig.broker.state.orders.values())
    # the stop child cancelled by its target; the DAY limit expired; the trailing stop, the bracket entry and
    # its target filled; the 350 market order got 100 of each bar's 1,000 (participation 0.1)
    assert statuses == ["CANCELLED", "EXPIRED", "FILLED", "FILLED", "FILLED", "PARTIALLY_FILLED"]
    assert rig.broker.state.orders["man-20190211-0001"].filled_qty == D(300)
    again = load_state(tmp_path / "sim.db", D(0))
    assert again.to_json() == rig.broker.state.to_json()
    assert list(again.orders) == list(rig.broker.state.orders)  # submission order kept


def test_nothing_working_means_no_work_and_no_write(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34))
    assert not (tmp_path / "sim.db").exists()
    assert rig.broker.state.last_seen == {}


def test_account_values_and_positions(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    rig.service.create_order(req("BUY", 100))
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34))
    rig.service.create_order(req("SELL", 40))
    rig.feed(bar(minute(1), 271.50, 271.60, 271.40, 271.45))
    pos = rig.broker.positions()["SPY"]
    assert (pos.quantity, pos.avg_cost) == (D(60), D("271.19"))
    acct = rig.broker.account_values()
    # buy: 1.00 commission + 0.01 CAT; sell 40: 1.00 + TAF 0.0066 -> 0.01 + CAT 0.00288 -> 0.01
    assert acct.total_charges == D("2.03")
    assert acct.realized_pnl == D("12.40")  # 40 x (271.50 - 271.19)
    assert acct.cash == D(100_000) - D("27119.00") + D("10860.00") - D("2.03")
    assert acct.equity == acct.cash + 60 * D("271.45")


def test_ticks_fill_stops_and_limits_with_participation(tmp_path: Path) -> None:
    from theo.model.market import Tick

    rig = make_rig(tmp_path, config=_cfg(participation=0.5))
    stop = rig.service.create_order(req("SELL", 100, "STOP", stop_price=D("271.00"), tif=TimeInForce.GTC))
    limit = rig.service.create_order(req("BUY", 10, "LIMIT", limit_price=D("270.95"), tif=TimeInForce.GTC))
    for seconds, px, size in ((1, 271.05, 300), (2, 270.99, 120), (3, 270.94, 40), (3, 270.98, 200)):
        ts = T0 + timedelta(seconds=seconds)
        rig.clock.advance_to(ts)
        rig.broker.on_tick(Tick("SPY", ts, px, size))
    # 270.99 <= 271.00 triggers: 60 of 100 (half of 120), the other 40 at the next ticks (20, then 20)
    assert [(f.quantity, f.price) for f in stop.fills] == [(D(60), D("270.99")), (D(20), D("270.94")),
                                                           (D(20), D("270.98"))]
    assert stop.status is S.FILLED
    # the 270.94 print goes through 270.95: 10 shares (cap 20) at the tick price, better than the limit
    assert [(f.quantity, f.price) for f in limit.fills] == [(D(10), D("270.94"))]


def test_a_tick_outside_regular_hours_leaves_rth_orders_alone(tmp_path: Path) -> None:
    from theo.model.market import Tick

    rig = make_rig(tmp_path, start=T0 - timedelta(hours=2))
    order = rig.service.create_order(req("BUY", 10))
    ts = T0 - timedelta(hours=1)  # 08:30 ET, pre-market
    rig.clock.advance_to(ts)
    rig.broker.on_tick(Tick("SPY", ts, 271.0, 500))
    assert order.status is S.ACCEPTED
    rig.clock.advance_to(T0)
    rig.broker.on_tick(Tick("SPY", T0, 271.2, 500))
    assert order.avg_fill_price == D("271.20")


def test_trailing_stop_by_percent_follows_the_price_and_fills(tmp_path: Path) -> None:
    rig = make_rig(tmp_path)
    rig.feed(bar(T0, 200.0, 200.0, 200.0, 200.0))
    rig.feed(bar(T0, 100.0, 100.0, 100.0, 100.0, symbol="AAPL"))
    sell = rig.service.create_order(req("SELL", 10, "TRAILING_STOP", trail_percent=D("1"), tif=TimeInForce.GTC))
    buy = rig.service.create_order(req("BUY", 10, "TRAILING_STOP", symbol="AAPL", trail_percent=D("2"),
                                       tif=TimeInForce.GTC))
    view = rig.broker.order_status
    assert view(sell.client_order_id).stop_price == D("198.00")  # type: ignore[union-attr]  # 200 x 0.99
    assert view(buy.client_order_id).stop_price == D("102.00")  # type: ignore[union-attr]  # 100 x 1.02
    rig.feed(bar(minute(1), 200.0, 202.0, 199.5, 201.5))  # high 202 -> 202 x 0.99 = 199.98
    rig.feed(bar(minute(1), 100.0, 101.0, 95.0, 96.0, symbol="AAPL"))  # low 95 -> 95 x 1.02 = 96.90
    assert view(sell.client_order_id).stop_price == D("199.98")  # type: ignore[union-attr]
    assert view(buy.client_order_id).stop_price == D("96.90")  # type: ignore[union-attr]
    assert (sell.status, buy.status) == (S.ACCEPTED, S.ACCEPTED)
    rig.feed(bar(minute(2), 201.0, 201.2, 199.9, 200.1))  # low 199.90 crosses 199.98
    rig.feed(bar(minute(2), 96.5, 97.3, 96.4, 97.2, symbol="AAPL"))  # high 97.30 crosses 96.90
    assert sell.avg_fill_price == D("199.98")
    assert buy.avg_fill_price == D("96.90")


def test_ioc_and_fok_on_ticks_see_only_the_first_print(tmp_path: Path) -> None:
    from theo.model.market import Tick

    rig = make_rig(tmp_path, config=_cfg(participation=0.5))
    ioc = rig.service.create_order(req("BUY", 100, tif=TimeInForce.IOC))
    fok = rig.service.create_order(req("BUY", 100, symbol="AAPL", tif=TimeInForce.FOK))
    fok_limit = rig.service.create_order(req("BUY", 10, "LIMIT", symbol="AAPL", limit_price=D("99.90"),
                                             tif=TimeInForce.FOK))
    ts = T0 + timedelta(seconds=1)
    rig.clock.advance_to(ts)
    rig.broker.on_tick(Tick("SPY", ts, 271.05, 60))  # half of 60 = 30 may fill
    rig.broker.on_tick(Tick("AAPL", ts, 100.00, 300))  # 150 may fill: enough for the FOK market order
    ts2 = ts + timedelta(seconds=1)
    rig.clock.advance_to(ts2)
    rig.broker.on_tick(Tick("AAPL", ts2, 99.80, 300))  # would fill the limit, but FOK only saw the first print
    rig.broker.on_tick(Tick("SPY", ts2, 271.00, 600))
    assert (ioc.status, ioc.filled_qty, ioc.avg_fill_price) == (S.CANCELLED, D(30), D("271.05"))
    assert ioc.reason == "IOC: the unfilled 70 cancelled at the first price"
    assert (fok.status, fok.filled_qty, fok.avg_fill_price) == (S.FILLED, D(100), D("100.00"))
    assert (fok_limit.status, fok_limit.fills) == (S.CANCELLED, [])


def test_routing_and_allocation_reach_the_broker_and_survive_a_restart(tmp_path: Path) -> None:
    from theo.model.enums import ProductType

    rig = make_rig(tmp_path)
    order = rig.service.create_order(req("BUY", 10, "LIMIT", limit_price=D("270.00"), tif=TimeInForce.GTC,
                                         routing=Routing.NASDAQ, allocation=Allocation.LIFO,
                                         product_type=ProductType.CASH))
    legs = children("BUY", 10, stop="270.00", target="272.00", routing=Routing.ARCA, allocation=Allocation.PRO_RATA)
    bracket = rig.service.submit_bracket(req("BUY", 10, "LIMIT", limit_price=D("271.20"), routing=Routing.ARCA,
                                             allocation=Allocation.PRO_RATA), legs)
    stop_leg, target_leg = bracket.children
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34))  # the entry fills; its children work from now on
    rig.service.stop()
    again = SimulatedBroker(ExecutionConfig(), rig.clock, INSTRUMENTS, tmp_path / "sim.db")
    seen = again.order_status(order.client_order_id)
    assert seen is not None
    assert (seen.routing, seen.allocation, seen.product_type) == (Routing.NASDAQ, Allocation.LIFO, ProductType.CASH)
    for cid in (bracket.entry.client_order_id, stop_leg.client_order_id, target_leg.client_order_id):
        leg = again.order_status(cid)
        assert leg is not None
        assert (leg.routing, leg.allocation) == (Routing.ARCA, Allocation.PRO_RATA)
    stop = again.order_status(stop_leg.client_order_id)
    target = again.order_status(target_leg.client_order_id)
    assert stop is not None
    assert target is not None
    assert (stop.status, target.status) == (S.ACCEPTED, S.ACCEPTED)
    assert stop.oco_group == target.oco_group == target_leg.oco_group == f"{bracket.entry.client_order_id}-oco"
    assert stop.parent_id == target.parent_id == bracket.entry.client_order_id


def test_a_late_oco_member_is_cancelled_when_the_group_filled_before_a_restart(tmp_path: Path) -> None:
    from theo.model.orders import Order

    rig = make_rig(tmp_path)
    first = Order("g-1", req("SELL", 10, "LIMIT", limit_price=D("271.00"), tif=TimeInForce.GTC), oco_group="g")
    rig.broker.submit(first)
    rig.feed(bar(T0, 271.19, 271.34, 271.07, 271.34))
    assert rig.broker.order_status("g-1").status is S.FILLED  # type: ignore[union-attr]
    rig.broker.disconnect()
    again = SimulatedBroker(ExecutionConfig(), rig.clock, INSTRUMENTS, tmp_path / "sim.db")
    late = Order("g-2", req("SELL", 10, "STOP", stop_price=D("270.00"), tif=TimeInForce.GTC), oco_group="g")
    again.submit(late)
    seen = again.order_status("g-2")
    assert seen is not None
    assert (seen.status, seen.reason) == (S.CANCELLED, "OCO: group g already filled")
