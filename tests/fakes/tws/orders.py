"""Orders as the fake broker books them: the placeOrder field walk, order records and fill pricing."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from tests.fakes.tws.contracts import ContractSpec, Instrument
from tests.fakes.tws.wire import UNSET_DOUBLE, to_bool, to_float, to_int

LIVE_STATES = frozenset({"PendingSubmit", "PreSubmitted", "Submitted", "PendingCancel", "ApiPending"})
DONE_STATES = frozenset({"Filled", "Cancelled", "ApiCancelled", "Inactive"})
# Number of fields after condType of each order condition type (ib_async dataclass layout).
CONDITION_WIDTH = {1: 6, 3: 3, 4: 3, 5: 4, 6: 5, 7: 5}


class _Cursor:
    """Sequential reader over the fields of one message."""

    def __init__(self, fields: list[str], start: int) -> None:
        self.fields = fields
        self.i = start

    def take(self) -> str:
        value = self.fields[self.i] if self.i < len(self.fields) else ""
        self.i += 1
        return value

    def skip(self, n: int) -> None:
        self.i += n


@dataclass
class PlaceRequest:
    """The parts of a placeOrder message the fake acts on."""

    order_id: int
    contract: ContractSpec
    action: str
    total_quantity: float
    order_type: str
    lmt_price: float | None
    aux_price: float | None
    tif: str
    oca_group: str
    account: str
    order_ref: str
    transmit: bool
    parent_id: int
    outside_rth: bool
    oca_type: int
    trail_stop_price: float | None
    trailing_percent: float | None
    lmt_price_offset: float | None
    what_if: bool
    good_till_date: str
    algo_strategy: str
    cash_qty: float | None
    manual_order_time: str
    condition_count: int
    leg_count: int


def parse_place_order(fields: list[str], server_version: int) -> PlaceRequest:
    """Walk a placeOrder (3) message of server version 157..178 including its variable blocks."""
    contract = ContractSpec.parse(fields, 2)
    f = fields + [""] * 40
    c = _Cursor(f, 35)
    legs = 0
    if contract.sec_type == "BAG":
        legs = to_int(c.take())
        c.skip(8 * legs)
        c.skip(to_int(c.take()))
        c.skip(2 * to_int(c.take()))
    c.take()  # deprecated shares allocation
    c.take()  # discretionaryAmt
    c.take()  # goodAfterTime
    good_till_date = c.take()
    c.skip(3)  # faGroup, faMethod, faPercentage
    if server_version < 177:
        c.take()  # faProfile
    c.skip(4)  # modelCode, shortSaleSlot, designatedLocation, exemptCode
    oca_type = to_int(c.take())
    c.skip(17)  # rule80A .. volatilityType
    dn_order_type = c.take()
    c.take()  # deltaNeutralAuxPrice
    if dn_order_type:
        c.skip(8)
    c.skip(2)  # continuousUpdate, referencePriceType
    trail_stop_price = to_float(c.take())
    trailing_percent = to_float(c.take())
    c.skip(2)  # scaleInitLevelSize, scaleSubsLevelSize
    increment = to_float(c.take()) or 0.0
    if 0 < increment < UNSET_DOUBLE:
        c.skip(7)
    c.skip(3)  # scaleTable, activeStartTime, activeStopTime
    if c.take():  # hedgeType
        c.take()
    c.skip(4)  # optOutSmartRouting, clearingAccount, clearingIntent, notHeld
    if to_bool(c.take()):  # deltaNeutralContract
        c.skip(3)
    algo = c.take()
    if algo:
        c.skip(2 * to_int(c.take()))
    c.take()  # algoId
    what_if = to_bool(c.take())
    c.skip(4)  # orderMiscOptions, solicited, randomizeSize, randomizePrice
    order_type = f[18]
    if order_type in {"PEG BENCH", "PEGBENCH"}:
        c.skip(5)
    conditions = to_int(c.take())
    for _ in range(conditions):
        c.skip(CONDITION_WIDTH.get(to_int(c.take()), 0))
    if conditions:
        c.skip(2)
    c.skip(2)  # adjustedOrderType, triggerPrice
    lmt_price_offset = to_float(c.take())
    c.skip(7)  # adjusted stop/limit/trailing, unit, extOperator, softDollarTier name/value
    cash_qty = to_float(c.take())
    c.skip(8)  # mifid2 x4, dontUseAutoPriceForHedge, isOmsContainer, discretionaryUpToLimitPrice, usePriceMgmtAlgo
    if server_version >= 158:
        c.take()  # duration
    if server_version >= 160:
        c.take()  # postToAts
    if server_version >= 162:
        c.take()  # autoCancelParent
    if server_version >= 166:
        c.take()  # advancedErrorOverride
    manual_time = c.take() if server_version >= 169 else ""
    return PlaceRequest(
        order_id=to_int(f[1]),
        contract=contract,
        action=f[16].upper(),
        total_quantity=to_float(f[17], 0.0) or 0.0,
        order_type=order_type.upper(),
        lmt_price=to_float(f[19]),
        aux_price=to_float(f[20]),
        tif=f[21] or "DAY",
        oca_group=f[22],
        account=f[23],
        order_ref=f[26],
        transmit=f[27] != "0",
        parent_id=to_int(f[28]),
        outside_rth=to_bool(f[33]),
        oca_type=oca_type,
        trail_stop_price=trail_stop_price,
        trailing_percent=trailing_percent,
        lmt_price_offset=lmt_price_offset,
        what_if=what_if,
        good_till_date=good_till_date,
        algo_strategy=algo,
        cash_qty=cash_qty,
        manual_order_time=manual_time,
        condition_count=conditions,
        leg_count=legs,
    )


@dataclass
class FakeExecution:
    """One fill as the fake reports it in execDetails/commissionReport."""

    exec_id: str
    order_id: int
    client_id: int
    perm_id: int
    instrument: Instrument
    account: str
    side: str  # BOT / SLD
    shares: float
    price: float
    cum_qty: float
    avg_price: float
    order_ref: str
    time: str  # "YYYYMMDD HH:MM:SS US/Eastern"
    epoch: float
    exchange: str
    commission: float
    realized_pnl: float | None = None
    order_exchange: str = "SMART"


@dataclass
class FakeOrder:
    """An order in the fake's book."""

    order_id: int
    client_id: int
    perm_id: int
    instrument: Instrument
    action: str
    total_quantity: float
    order_type: str
    lmt_price: float | None = None
    aux_price: float | None = None
    tif: str = "DAY"
    oca_group: str = ""
    oca_type: int = 0
    order_ref: str = ""
    transmit: bool = True
    parent_id: int = 0
    outside_rth: bool = False
    exchange: str = "SMART"
    account: str = ""
    trail_stop_price: float | None = None
    trailing_percent: float | None = None
    lmt_price_offset: float | None = None
    good_till_date: str = ""
    status: str = "PendingSubmit"
    filled: float = 0.0
    avg_fill_price: float = 0.0
    last_fill_price: float = 0.0
    why_held: str = ""
    staged: bool = False
    triggered: bool = False
    water_mark: float | None = None
    policy: str = "auto"
    partial_plan: tuple[int, float] | None = None
    reject_reason: str = ""
    completed_time: str = ""
    completed_status: str = ""
    executions: list[FakeExecution] = field(default_factory=list)
    history: list[str] = field(default_factory=list)

    @property
    def symbol(self) -> str:
        """Symbol of the order's instrument."""
        return self.instrument.symbol

    @property
    def con_id(self) -> int:
        """Contract id of the order's instrument."""
        return self.instrument.con_id

    @property
    def remaining(self) -> float:
        """Quantity not yet filled (0 once done)."""
        if self.status in DONE_STATES and self.status != "Filled":
            return 0.0
        return max(self.total_quantity - self.filled, 0.0)

    @property
    def is_live(self) -> bool:
        """True while the order can still fill or be cancelled."""
        return self.status not in DONE_STATES

    @property
    def is_buy(self) -> bool:
        """True for BUY orders."""
        return self.action == "BUY"

    def set_status(self, status: str) -> None:
        """Change status and keep the transition history."""
        if status != self.status:
            self.history.append(status)
        self.status = status

    def trail_amount(self, reference: float) -> float:
        """The trailing distance at ``reference`` (absolute amount or percent)."""
        if self.trailing_percent is not None and self.trailing_percent > 0:
            return reference * self.trailing_percent / 100.0
        return self.aux_price or 0.0

    def round_tick(self, price: float) -> float:
        """Round to the instrument's tick."""
        tick = self.instrument.min_tick or 0.01
        return round(round(price / tick) * tick, 8)

    def update_trail(self, price: float) -> bool:
        """Follow ``price`` with the trailing stop; True when the stop moved."""
        if self.water_mark is None:
            self.water_mark = price
        elif self.is_buy:
            self.water_mark = min(self.water_mark, price)
        else:
            self.water_mark = max(self.water_mark, price)
        amount = self.trail_amount(self.water_mark)
        stop = self.round_tick(self.water_mark + amount if self.is_buy else self.water_mark - amount)
        old = self.trail_stop_price
        if old is None or (self.is_buy and stop < old) or (not self.is_buy and stop > old):
            self.trail_stop_price = stop
            return old is not None and not math.isclose(old, stop)
        return False

    def limit_marketable(self, limit: float | None, price: float) -> bool:
        """Whether a trade/quote at ``price`` reaches the limit."""
        if limit is None:
            return True
        return price <= limit + 1e-9 if self.is_buy else price >= limit - 1e-9

    def stop_reached(self, stop: float | None, price: float) -> bool:
        """Whether a trade at ``price`` goes through the stop."""
        if stop is None:
            return False
        return price >= stop - 1e-9 if self.is_buy else price <= stop + 1e-9

    def fill_price_on_trade(self, price: float, resting: bool) -> float | None:
        """Price at which a trade at ``price`` fills this order, or None (updates stop/trail state)."""
        kind = self.order_type
        if kind == "MKT":
            return price
        if kind in {"LMT", "REL", "MIDPRICE", "LOC", "LIT"}:
            if not self.limit_marketable(self.lmt_price, price):
                return None
            return self.lmt_price if (resting and self.lmt_price is not None) else price
        if kind in {"STP", "STP LMT", "MIT"}:
            if not self.triggered:
                if not self.stop_reached(self.aux_price, price):
                    return None
                self.triggered = True
            if kind == "STP LMT":
                return price if self.limit_marketable(self.lmt_price, price) else None
            return price
        if kind in {"TRAIL", "TRAIL LIMIT", "TRAIL LIT"}:
            if not self.triggered:
                if not self.stop_reached(self.trail_stop_price, price):
                    return None
                self.triggered = True
                if kind != "TRAIL" and self.trail_stop_price is not None:
                    offset = self.lmt_price_offset or 0.0
                    self.lmt_price = self.trail_stop_price + offset if self.is_buy else self.trail_stop_price - offset
            if kind == "TRAIL":
                return price
            return price if self.limit_marketable(self.lmt_price, price) else None
        # Unknown types: behave like a limit when there is one, like a market order otherwise.
        return price if self.limit_marketable(self.lmt_price, price) else None
