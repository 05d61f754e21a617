"""The IBKR adapter's tables: account choice, restart window, error kinds, order and status mapping."""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal

import pytest

from theo.adapters.ibkr.config import IbkrConfig
from theo.adapters.ibkr.connection import AccountError, choose_account, restart_window
from theo.adapters.ibkr.errors import IbError, Kind, classify
from theo.adapters.ibkr.parsing import contract_for, dec, ib_order, status_of
from theo.model.enums import OrderStatus, OrderType, Routing, Side, TimeInForce
from theo.model.instruments import equity
from theo.model.orders import Order, OrderRequest

D = Decimal

def test_a_single_paper_account_is_chosen_without_configuration() -> None:
    assert choose_account(["DU1234567"], "", live=False) == "DU1234567"


def test_a_live_account_needs_the_flag_and_the_config_to_name_it() -> None:
    with pytest.raises(AccountError, match="live"):
        choose_account(["U7654321"], "", live=False)
    with pytest.raises(AccountError, match="--live"):
        choose_account(["U7654321"], "", live=True)  # the flag alone is not enough
    with pytest.raises(AccountError, match="--live"):
        choose_account(["U7654321"], "U7654321", live=False)  # nor the config alone
    assert choose_account(["U7654321"], "U7654321", live=True) == "U7654321"


def test_an_account_not_managed_or_an_unnamed_one_of_several_is_refused() -> None:
    with pytest.raises(AccountError, match="DU999"):
        choose_account(["DU1234567"], "DU999", live=False)
    with pytest.raises(AccountError, match="name the one"):
        choose_account(["DU1", "DU2"], "", live=False)
    assert choose_account(["DU1", "DU2", ""], "DU2", live=False) == "DU2"


def test_the_restart_window_spans_the_guard_around_the_daily_restart_in_exchange_time() -> None:
    cfg = IbkrConfig(daily_restart=time(23, 45), restart_guard_before_seconds=120, restart_guard_after_seconds=600)
    # 23:45 ET on 2026-12-03 is 04:45 UTC on 2026-12-04 (EST, UTC-5).
    assert restart_window(datetime(2026, 12, 4, 4, 42, 59, tzinfo=UTC), cfg) is None
    window = restart_window(datetime(2026, 12, 4, 4, 43, 0, tzinfo=UTC), cfg)
    assert window == (datetime(2026, 12, 4, 4, 43, tzinfo=UTC), datetime(2026, 12, 4, 4, 55, tzinfo=UTC))
    assert restart_window(datetime(2026, 12, 4, 4, 55, 0, tzinfo=UTC), cfg) is None
    assert restart_window(datetime(2026, 12, 4, 4, 44, tzinfo=UTC), IbkrConfig(daily_restart=None)) is None


@pytest.mark.parametrize(("code", "text", "kind"), [
    (1100, "Connectivity between IB and TWS has been lost.", Kind.CONNECTIVITY_LOST),
    (1101, "restored - data lost", Kind.RESTORED_DATA_LOST),
    (1102, "restored - data maintained", Kind.RESTORED),
    (2103, "Market data farm connection is broken:usfarm", Kind.FARM_DOWN),
    (10182, "Failed to request live updates (disconnected).", Kind.FARM_DOWN),
    (2104, "Market data farm connection is OK:usfarm", Kind.FARM_OK),
    (326, "client id is already in use", Kind.CLIENT_ID_IN_USE),
    (201, "Order rejected - reason: no funds", Kind.ORDER_REJECTED),
    (202, "Order Canceled - reason:", Kind.ORDER_CANCELLED),
    (162, "Historical Market Data Service error message:Historical data request pacing violation", Kind.PACING),
    (162, "Historical Market Data Service error message:HMDS query returned no data", Kind.NO_DATA),
    (420, "Invalid Real-time Query:Historical data request pacing violation", Kind.PACING),
    (354, "Requested market data is not subscribed.", Kind.NOT_SUBSCRIBED),
    (2150, "some notice", Kind.WARNING),
    (504, "Not connected", Kind.ERROR),
])
def test_error_codes_sort_into_what_the_adapter_does(code: int, text: str, kind: Kind) -> None:
    assert classify(code, text) is kind


def test_an_error_with_a_hint_says_what_to_do() -> None:
    assert "market_data_type" in str(IbError(5, 354, "Requested market data is not subscribed."))


def _order(**kw: object) -> Order:
    base: dict[str, object] = {"symbol": "AAPL", "side": Side.SELL, "quantity": D(25),
                               "order_type": OrderType.TRAILING_STOP}
    return Order("t-1-entry", OrderRequest(**{**base, **kw}), oco_group="t-1-oco")  # type: ignore[arg-type]


def test_our_order_becomes_the_ibkr_order_with_our_id_in_order_ref() -> None:
    ib = ib_order(_order(order_type=OrderType.STOP_LIMIT, stop_price=D("99.5"), limit_price=D("99.4"),
                         tif=TimeInForce.GTC, outside_rth=True), "DU1", 7, parent_id=6, transmit=False)
    assert (ib.orderId, ib.action, ib.totalQuantity, ib.orderType) == (7, "SELL", 25.0, "STP LMT")
    assert (ib.auxPrice, ib.lmtPrice, ib.tif, ib.outsideRth) == (99.5, 99.4, "GTC", True)
    assert (ib.orderRef, ib.account, ib.parentId, ib.transmit) == ("t-1-entry", "DU1", 6, False)
    assert (ib.ocaGroup, ib.ocaType) == ("t-1-oco", 1)


def test_trailing_stops_by_amount_percent_and_with_a_trigger() -> None:
    amount = ib_order(_order(trail_amount=D("0.75"), stop_price=D("98")), "DU1", 1)
    assert (amount.orderType, amount.auxPrice, amount.trailStopPrice) == ("TRAIL", 0.75, 98.0)
    pct = ib_order(_order(trail_percent=D("1.5")), "DU1", 2)
    assert (pct.orderType, pct.trailingPercent) == ("TRAIL", 1.5)
    trig = ib_order(_order(trail_amount=D("0.5"), stop_price=D("97"), trail_trigger=D("103")), "DU1", 3)
    assert (trig.orderType, trig.auxPrice, trig.triggerPrice) == ("STP", 97.0, 103.0)
    assert (trig.adjustedOrderType, trig.adjustedTrailingAmount, trig.adjustableTrailingUnit) == ("TRAIL", 0.5, 0)


def test_routing_picks_the_exchange_and_nasdaq_is_island() -> None:
    aapl = equity("AAPL")
    assert contract_for(aapl).exchange == "SMART"
    assert contract_for(aapl, Routing.NASDAQ).exchange == "ISLAND"
    assert contract_for(aapl, Routing.DIRECT, "NASDAQ").exchange == "NASDAQ"
    assert contract_for(aapl, Routing.ARCA).exchange == "ARCA"


@pytest.mark.parametrize(("ib", "filled", "ours"), [
    ("PendingSubmit", 0, OrderStatus.SUBMITTED), ("PreSubmitted", 0, OrderStatus.ACCEPTED),
    ("Submitted", 0, OrderStatus.ACCEPTED), ("Submitted", 10, OrderStatus.PARTIALLY_FILLED),
    ("Filled", 100, OrderStatus.FILLED), ("Cancelled", 0, OrderStatus.CANCELLED),
    ("ApiCancelled", 0, OrderStatus.CANCELLED), ("Inactive", 0, OrderStatus.REJECTED),
    ("PendingCancel", 0, OrderStatus.PENDING_CANCEL), ("SomethingNew", 0, OrderStatus.UNKNOWN),
])
def test_ibkr_statuses_map_to_ours(ib: str, filled: int, ours: OrderStatus) -> None:
    assert status_of(ib, D(filled)) is ours


def test_ibkr_numbers_become_decimals_and_its_unset_markers_none() -> None:
    assert dec(190.25) == D("190.25")
    assert dec(0.1 + 0.2) == D("0.30000000000000004")  # the float as IBKR sent it, never rounded silently
    assert dec(1.7976931348623157e308) is None
    assert dec(2**31 - 1) is None
    assert dec("") is None
    assert dec(None) is None


def test_a_future_is_its_root_and_expiry_at_ibkr_and_comes_back_as_theos_symbol() -> None:
    from ib_async import Contract

    from theo.adapters.ibkr.parsing import symbol_of
    from theo.data.futures.contracts import parse_symbol

    inst = parse_symbol("MESZ26").instrument()
    c = contract_for(inst)
    assert (c.secType, c.symbol, c.lastTradeDateOrContractMonth, c.exchange, c.multiplier) == (
        "FUT", "MES", "20261218", "CME", "5")
    assert symbol_of(Contract(secType="FUT", symbol="MES", localSymbol="MESZ6")) == "MESZ26"
    assert symbol_of(Contract(secType="STK", symbol="aapl")) == "AAPL"
