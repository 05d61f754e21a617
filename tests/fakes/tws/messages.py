"""Builders of the exact outgoing field lists (server versions 176..178) ib_async decodes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.fakes.tws.contracts import STOCK_ORDER_TYPES, Instrument, trading_hours
from tests.fakes.tws.orders import FakeExecution, FakeOrder
from tests.fakes.tws.wire import UNSET_DOUBLE_TEXT, fmt_price, fmt_qty

Fields = list[Any]


def error(req_id: int, code: int, message: str, advanced_json: str = "") -> Fields:
    """error (4) with the advancedOrderRejectJson field (mandatory for V >= 166)."""
    return [4, 2, req_id, code, message, advanced_json]


def _price_or_zero(value: float | None) -> str:
    return "0" if value is None else fmt_price(value)


def open_order(o: FakeOrder, version: int) -> Fields:
    """openOrder (5): 127 fields at V 177-178, 128 at V 176 (faProfile)."""
    f: Fields = [5, o.order_id, *o.instrument.contract11(o.exchange)]
    f += [o.action, fmt_qty(o.total_quantity), o.order_type, _price_or_zero(o.lmt_price), _price_or_zero(o.aux_price)]
    f += [o.tif, o.oca_group, o.account, "", 0, o.order_ref, o.client_id, o.perm_id]
    f += [int(o.outside_rth), 0, 0, "", "", "", "", ""]  # hidden, discretionaryAmt, goodAfterTime, deprecated, fa x3
    if version < 177:
        f += [""]  # faProfile
    f += ["", o.good_till_date, "", "", "", 0, "", -1, 0, "", "", "", "", "", ""]  # modelCode .. displaySize
    f += [0, 0, 0, "", o.oca_type, 0, 0, "", o.parent_id, 0, "", 0, "", ""]  # blockOrder .. deltaNeutralAuxPrice
    f += [0, 0, fmt_price(o.trail_stop_price), fmt_price(o.trailing_percent), "", "", ""]
    f += [0, 0, 0, "", "", "", ""]  # combo legs, order combo legs, smart params, scale x3, hedgeType
    f += [0, "", "", 0, 0, ""]  # optOutSmartRouting .. algoStrategy
    f += [0, 0, o.status] + [""] * 9 + ["", "", "", "", ""]  # solicited, whatIf, status, margins, commission..warning
    f += [0, 0, 0]  # randomizeSize, randomizePrice, conditions count
    f += ["", "", fmt_price(o.trail_stop_price), fmt_price(o.lmt_price_offset), "", "", "", 0, "", "", ""]
    f += ["", 0, 0, 0, 0, "", "", 0, "", "", "", "", ""]  # cashQty .. midOffsetAtHalf
    return f


def what_if_order(o: FakeOrder, version: int, init: float, maint: float, equity: float, commission: float) -> Fields:
    """openOrder answering a what-if order: margins filled in, whatIf=1."""
    f = open_order(o, version)
    base = 85 if version >= 177 else 86
    f[base - 1] = 1
    f[base] = "PreSubmitted"
    values = [0.0, 0.0, equity, init, maint, 0.0, init, maint, equity]
    for i, v in enumerate(values):
        f[base + 1 + i] = repr(float(v))
    f[base + 10] = repr(commission)
    f[base + 11] = repr(commission)
    f[base + 12] = repr(commission)
    f[base + 13] = "USD"
    return f


def order_status(o: FakeOrder) -> Fields:
    """orderStatus (3), no version field."""
    return [
        3,
        o.order_id,
        o.status,
        fmt_qty(o.filled),
        fmt_qty(o.remaining),
        repr(o.avg_fill_price),
        o.perm_id,
        o.parent_id,
        repr(o.last_fill_price),
        o.client_id,
        o.why_held,
        "0",
    ]


def exec_details(req_id: int, e: FakeExecution, version: int) -> Fields:
    """execDetails (11): 31 fields, 32 at V >= 178."""
    f: Fields = [11, req_id, e.order_id, *e.instrument.contract11(e.order_exchange)]
    f += [e.exec_id, e.time, e.account, e.exchange, e.side, fmt_qty(e.shares), repr(e.price), e.perm_id, e.client_id]
    f += [0, fmt_qty(e.cum_qty), repr(e.avg_price), e.order_ref, "", "", "", 1 if e.side == "SLD" else 2]
    if version >= 178:
        f += [0]
    return f


def commission_report(e: FakeExecution) -> Fields:
    """commissionReport (59): exactly 8 fields; unknown PnL/yield as the max double."""
    realized = UNSET_DOUBLE_TEXT if e.realized_pnl is None else repr(round(e.realized_pnl, 6))
    return [59, 1, e.exec_id, repr(round(e.commission, 6)), "USD", realized, UNSET_DOUBLE_TEXT, ""]


def completed_order(o: FakeOrder, version: int) -> Fields:
    """completedOrder (101) in the layout ib_async 2.x decodes."""
    f: Fields = [101, *o.instrument.contract11(o.exchange)]
    f += [o.action, fmt_qty(o.total_quantity), o.order_type, _price_or_zero(o.lmt_price), _price_or_zero(o.aux_price)]
    f += [o.tif, o.oca_group, o.account, "", 0, o.order_ref, o.perm_id, int(o.outside_rth), 0, 0, "", "", "", ""]
    if version < 177:
        f += [""]
    f += ["", o.good_till_date, "", "", "", 0, "", -1, "", "", "", "", "", ""]  # modelCode .. displaySize
    f += [0, 0, "", o.oca_type, 0, "", 0, "", ""]  # sweepToFill .. deltaNeutralAuxPrice
    f += [0, 0, fmt_price(o.trail_stop_price), fmt_price(o.trailing_percent), ""]
    f += [0, 0, 0, "", "", "", ""]  # legs, order legs, params, scale x3, hedgeType
    f += ["", "", 0, 0, ""]  # clearingAccount, clearingIntent, notHeld, dnc, algoStrategy
    f += [0, o.status, 0, 0, 0]  # solicited, status, randomizeSize, randomizePrice, conditions
    f += [fmt_price(o.trail_stop_price), fmt_price(o.lmt_price_offset), "", 0, 0, "", fmt_qty(o.filled), 0, 0, ""]
    f += [0, 0, 0, o.completed_time, o.completed_status]  # imbalanceOnly, routeToBbo, parentPermId, time, status
    f += ["", "", "", "", ""]
    return f


def contract_details(req_id: int, inst: Instrument, today: dt.date) -> Fields:
    """contractDetails (10) without version field (V >= 164)."""
    last = inst.last_trade_date
    month = last[:6] if inst.sec_type in {"FUT", "OPT", "FOP"} else ""
    f: Fields = [10, req_id, inst.symbol, inst.sec_type, last, repr(inst.strike), inst.right, inst.exchange]
    f += [inst.currency, inst.local_symbol, inst.trading_class, inst.trading_class, inst.con_id, repr(inst.min_tick)]
    f += [inst.multiplier, STOCK_ORDER_TYPES, inst.valid_exchanges, 1, inst.under_con_id, inst.long_name, inst.primary]
    f += [month, inst.industry if inst.sec_type == "STK" else "", inst.category if inst.sec_type == "STK" else ""]
    f += [inst.subcategory if inst.sec_type == "STK" else "", "US/Eastern"]
    f += [trading_hours(today, inst.sec_type, False), trading_hours(today, inst.sec_type, True), "", ""]
    if inst.isin:
        f += [1, "ISIN", inst.isin]
    else:
        f += [0]
    agg = {"STK": 1, "OPT": 2, "FUT": 4}.get(inst.sec_type, 1)
    stock_type = "COMMON" if inst.sec_type == "STK" else ""
    f += [agg, inst.under_symbol, inst.under_sec_type, "26,26" if inst.sec_type == "STK" else "32", last, stock_type]
    f += ["0.0001" if inst.sec_type == "STK" else "1", "0.0001" if inst.sec_type == "STK" else "1", "100"]
    return f


def position(account: str, inst: Instrument, qty: float, avg_cost: float) -> Fields:
    """position (61): exactly 16 fields."""
    return [61, 3, account, *inst.contract11(inst.primary), fmt_qty(qty), repr(round(avg_cost, 8))]


def portfolio(inst: Instrument, qty: float, price: float, avg_cost: float, realized: float, account: str) -> Fields:
    """updatePortfolio (7): exactly 20 fields."""
    mult = inst.price_multiplier
    value = qty * price * mult
    unrealized = value - qty * avg_cost * mult
    return [
        7,
        8,
        *inst.portfolio11(),
        fmt_qty(qty),
        repr(round(price, 8)),
        repr(round(value, 4)),
        repr(round(avg_cost * mult, 8)),
        repr(round(unrealized, 4)),
        repr(round(realized, 4)),
        account,
    ]


def tick_price(req_id: int, tick_type: int, price: float, size: float | None, mask: int = 0) -> Fields:
    """tickPrice (1): exactly 7 fields."""
    return [1, 6, req_id, tick_type, fmt_price(price), "" if size is None else fmt_qty(size), mask]


def tick_size(req_id: int, tick_type: int, size: float) -> Fields:
    """tickSize (2)."""
    return [2, 6, req_id, tick_type, fmt_qty(size)]


def tick_string(req_id: int, tick_type: int, value: str) -> Fields:
    """tickString (46)."""
    return [46, 6, req_id, tick_type, value]


def tick_generic(req_id: int, tick_type: int, value: float) -> Fields:
    """tickGeneric (45)."""
    return [45, 6, req_id, tick_type, repr(float(value))]
