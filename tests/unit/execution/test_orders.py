"""Order requests are checked against the instrument before anything is sent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from theo.core.errors import OrderValidationError
from theo.model.enums import InstrumentKind, OrderType, Side, TimeInForce
from theo.model.instruments import Instrument, equity, index
from theo.model.orders import OrderRequest, validate_request

D = Decimal

SPY = equity("SPY")
MES = Instrument("MESZ6", InstrumentKind.FUTURE, tick_size=D("0.25"), multiplier=D(5), expiry=date(2026, 12, 18))
LOT = Instrument("LOT", InstrumentKind.STOCK, contract_size=100)


def r(kind: OrderType = OrderType.LIMIT, **kw: object) -> OrderRequest:
    base: dict[str, object] = {"symbol": "SPY", "side": Side.BUY, "quantity": D(10), "order_type": kind}
    base.update(kw)
    return OrderRequest(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(("request_", "inst", "message"), [
    (r(limit_price=D("270.005")), SPY, "limit_price=270.005 is not on the tick size 0.01"),
    (r(symbol="MESZ6", limit_price=D("6000.10")), MES, "tick size 0.25"),
    (r(), SPY, "limit_price=None is required for a LIMIT order"),
    (r(OrderType.MARKET, limit_price=D(1)), SPY, "is not used by a MARKET order"),
    (r(OrderType.STOP_LIMIT, limit_price=D(1)), SPY, "stop_price=None is required"),
    (r(limit_price=D(1), quantity=D(0)), SPY, "quantity=0 must be a positive"),
    (r(symbol="LOT", limit_price=D(1), quantity=D(150)), LOT, "whole multiple of the contract size 100"),
    (r(OrderType.TRAILING_STOP), SPY, "exactly one of them"),
    (r(OrderType.TRAILING_STOP, trail_amount=D(1), trail_percent=D(1)), SPY, "exactly one of them"),
    (r(OrderType.TRAILING_STOP, trail_percent=D(120)), SPY, "between 0 and 100"),
    (r(OrderType.STOP, stop_price=D(1), tif=TimeInForce.IOC), SPY, "only for MARKET and LIMIT"),
    (r(OrderType.MARKET, outside_rth=True), SPY, "only for LIMIT orders"),
    (r(limit_price=D(1), tag="yolo"), SPY, "tag=yolo"),
    (r(limit_price=D(1), symbol="VIX"), index("VIX"), "is an index"),
    (r(limit_price=D(-1)), SPY, "must be > 0"),
])
def test_bad_requests_are_refused_with_field_value_and_rule(request_: OrderRequest, inst: Instrument,
                                                            message: str) -> None:
    with pytest.raises(OrderValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        validate_request(request_, inst)


def test_unknown_instrument_is_refused() -> None:
    with pytest.raises(OrderValidationError, match="unknown instrument"):
        validate_request(r(limit_price=D(1)), None)


def test_good_requests_pass() -> None:
    validate_request(r(limit_price=D("270.01")), SPY)
    validate_request(r(OrderType.TRAILING_STOP, trail_percent=D("1.5"), side=Side.SELL), SPY)
    validate_request(r(symbol="MESZ6", limit_price=D("6000.25")), MES)
    validate_request(r(symbol="LOT", limit_price=D(1), quantity=D(300)), LOT)
