"""The simulated broker: works resting orders against the bars or ticks it is shown, charges the IBKR
schedules, keeps its state on disk (``state_path``) so that a restarted engine meets the same orders, fills and
positions, as it would with a real broker.

Contract (the fill rules themselves are :mod:`theo.execution.fills`):

* An order works on items (bars or ticks) that start at or after its submission, in the regular session only
  unless it is ``outside_rth``: no fill on a holiday, a weekend or after an early close.
* A bar is worked in two steps. **The open**: orders that trade at the open price fill there, stamped with the
  bar's start (a market order sent at a bar's close fills at the next bar's open, at that bar's start time).
  **The range**: the rest are checked against the bar's high and low, protective stops before limits (a bar
  that spans a stop and a target counts as the stop), and fill at their level, stamped with the bar's end, the
  first moment the bar proves it traded there. A tick is one price: both steps at once, stamped with its time.
* A bracket's children are held until the parent fills; they then work from the parent's fill on (the same
  bar included), sized to what the parent filled, and cancel each other (one-cancels-other). A parent that
  ends without a fill takes its children with it.
* DAY orders expire at the close of their session (a clock timer), early closes included.
* Events are emitted after the new state is safely on disk.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path

from theo.adapters.sim import state as _state_module
from theo.adapters.sim.state import SimOrder, SimState, StateStore
from theo.config.market import MarketConfig
from theo.core.calendar import ET, MarketCalendar, get_calendar
from theo.core.clock import Clock
from theo.core.errors import BrokerError
from theo.core.time import to_us
from theo.execution.broker import AccountValues, Broker, BrokerOrder, BrokerPosition, EventHandler
from theo.execution.commissions import CommissionModel
from theo.execution.config import ExecutionConfig
from theo.execution.fills import PriceBar, advance_trail, fill_price, fill_quantity, tighter, to_tick, trail_stop
from theo.model.enums import OrderStatus, OrderType, SessionKind, Side, TimeInForce
from theo.model.events import (
    BrokerEvent,
    Execution,
    OrderAccepted,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderModified,
    OrderPartiallyFilled,
    OrderRejected,
)
from theo.model.instruments import Instrument
from theo.model.ledger import Position
from theo.model.market import Bar, Tick
from theo.model.money import ZERO
from theo.model.orders import Order

log = logging.getLogger(__name__)
_FIRST_ONLY = (TimeInForce.IOC, TimeInForce.FOK)
_STOPS = (OrderType.STOP, OrderType.TRAILING_STOP, OrderType.STOP_LIMIT)


class WatchKind(Enum):
    """What makes an item able to fill a resting order (see :meth:`SimulatedBroker.watches`)."""

    NEXT = 1  # the next eligible item (a market order, an IOC/FOK order)
    HIGH = 2  # the first eligible item whose high reaches ``level``
    LOW = 3  # the first eligible item whose low reaches ``level``
    TRAIL = 4  # a trailing stop: its stop follows the best price (see ``trail_*``)


@dataclass(frozen=True, slots=True)
class Watch:
    """A condition under which an item may change a resting order; a superset of the true one, never less.

    ``since_us``: the order works on items starting at or after this; ``rth_only``: in the regular session
    only. A ``TRAIL`` watch is a sell (``sell``) or buy trailing stop: current stop ``level`` (or none),
    best price so far ``trail_ref``, distance ``trail_pct`` (%) or ``trail_amount``, and ``trail_trigger``
    (the price where trailing starts, ``None`` when it trails already).
    """

    kind: WatchKind
    since_us: int
    rth_only: bool
    level: float | None = None
    sell: bool = True
    trail_ref: float | None = None
    trail_pct: float | None = None
    trail_amount: float | None = None
    trail_trigger: float | None = None


class SimulatedBroker(Broker):
    """A broker for backtests and paper trading (see the module docstring for its contract)."""

    name = "sim"

    def __init__(self, config: ExecutionConfig, clock: Clock, instruments: Mapping[str, Instrument],
                 state_path: Path | None = None, *, market: MarketConfig | None = None) -> None:
        self.config = config
        self.clock = clock
        self.instruments = dict(instruments)
        self.state_path = state_path
        self.market = market
        self.commissions = CommissionModel(config.commissions)
        self._slip = config.sim.slippage_ticks
        self._touch = config.sim.limit_fill == "touch"
        self._participation = config.sim.participation
        self._handlers: list[EventHandler] = []
        self._last_px: dict[str, float] = {}
        self._calendars: dict[str, MarketCalendar] = {}
        self._store = StateStore(state_path) if state_path else None
        self.state = self._store.load(config.sim.initial_cash) if self._store else \
            SimState(cash=config.sim.initial_cash)
        self._changed: set[str] = set()  # orders changed since the last save
        self._working: dict[str, list[str]] = {}  # symbol -> working order ids in submission order
        self._oco: dict[str, list[str]] = {}  # members of each OCO group
        self._children: dict[str, list[str]] = {}  # parent id -> bracket children
        self._expiries: dict[datetime, int] = {}  # DAY close -> clock timer
        self._expiry_cache: dict[tuple[str, bool], tuple[datetime, datetime]] = {}  # -> (valid from, expiry)
        for o in self.state.orders.values():
            if o.working:
                self._working.setdefault(o.symbol, []).append(o.client_order_id)
                self._arm_expiry(o)
            if o.oco_group:
                self._oco.setdefault(o.oco_group, []).append(o.client_order_id)
            if o.parent_id:
                self._children.setdefault(o.parent_id, []).append(o.client_order_id)
        self.connected = False

    # -- Broker interface --------------------------------------------------------------------------------
    def connect(self) -> None:
        self.connected = True

    def disconnect(self) -> None:
        self.connected = False
        if self._store is not None:
            self._store.close()  # reopened by the next save

    def subscribe(self, handler: EventHandler) -> None:
        self._handlers.append(handler)

    def submit(self, order: Order) -> None:
        events: list[BrokerEvent] = []
        self._accept(order, events)
        self._commit(events)

    def submit_bracket(self, parent: Order, children: Sequence[Order]) -> None:
        events: list[BrokerEvent] = []
        so = self._accept(parent, events)
        for child in children:
            if child.parent_id != parent.client_order_id:
                raise BrokerError(f"simulated broker: {child.client_order_id} is not a child of "
                                  f"{parent.client_order_id}")
            c = self._accept(child, events, held=True)
            self._children.setdefault(parent.client_order_id, []).append(c.client_order_id)
            if not so.working:
                self._close(c, OrderStatus.CANCELLED, f"parent {parent.client_order_id} was rejected",
                            self.clock.now(), events)
        self._commit(events)

    def modify(self, client_order_id: str, *, quantity: Decimal | None = None, limit_price: Decimal | None = None,
               stop_price: Decimal | None = None) -> None:
        so = self._get(client_order_id)
        if not so.working:
            raise BrokerError(f"simulated broker: order {client_order_id} is {so.status.value}; it cannot be "
                              f"modified")
        if quantity is not None and quantity <= so.filled_qty:
            raise BrokerError(f"simulated broker: order {client_order_id}: quantity {quantity} must exceed the "
                              f"filled {so.filled_qty}")
        self._changed.add(client_order_id)
        if quantity is not None:
            so.quantity = quantity
        if limit_price is not None:
            so.limit_price = limit_price
        if stop_price is not None:
            so.stop_price = stop_price
            so.triggered = False
        so.revision += 1
        self._commit([OrderModified(client_order_id, self.clock.now(), quantity=quantity, limit_price=limit_price,
                                    stop_price=stop_price, revision=so.revision)])

    def cancel(self, client_order_id: str) -> None:
        so = self._get(client_order_id)
        if not so.working:
            return  # already done: the journal learns the final state from the events or the status
        events: list[BrokerEvent] = []
        self._close(so, OrderStatus.CANCELLED, "cancelled on request", self.clock.now(), events)
        self._commit(events)

    def order_status(self, client_order_id: str) -> BrokerOrder | None:
        so = self.state.orders.get(client_order_id)
        return None if so is None else self._view(so)

    def open_orders(self) -> list[BrokerOrder]:
        return [self._view(o) for o in self.state.orders.values() if o.working]

    def executions(self, since: datetime | None = None) -> list[Execution]:
        return [e for e in self.state.executions if since is None or e.ts >= since]

    def positions(self) -> dict[str, BrokerPosition]:
        return {k: BrokerPosition(k, p.quantity, p.avg_cost) for k, p in sorted(self.state.positions.items())
                if p.quantity != 0}

    def account_values(self) -> AccountValues:
        gross = net = ZERO
        for sym, pos in self.state.positions.items():
            inst = self.instruments.get(sym)
            mult = inst.multiplier if inst else Decimal(1)
            px = self.state.last_price.get(sym)
            if px is None:
                px = Decimal(repr(self._last_px[sym])) if sym in self._last_px else pos.avg_cost
            net += pos.quantity * px * mult
            gross += abs(pos.quantity) * px * mult
        equity = self.state.cash + net
        power = max(equity * self.config.sim.margin_multiplier - gross, ZERO)
        return AccountValues(cash=self.state.cash, equity=equity, buying_power=power, gross_position_value=gross,
                             realized_pnl=self.state.realized_pnl, total_charges=self.state.total_charges)

    # -- market data ---------------------------------------------------------------------------------------
    def on_bar(self, bar: Bar) -> None:
        """Work this symbol's orders against a closed bar (fast no-op when none is working).

        A bar of a closed market (a holiday, after an early close's post-market) trades nothing, even for
        ``outside_rth`` orders: no venue is open.
        """
        if bar.session is SessionKind.CLOSED:
            return
        self.work(bar.symbol, bar.start, bar.end, bar.open, bar.high, bar.low, bar.close, bar.volume,
                  bar.session is SessionKind.REGULAR)

    def on_tick(self, tick: Tick) -> None:
        """Work this symbol's orders against a trade print (fast no-op when none is working)."""
        regular = True
        if self._working.get(tick.symbol):
            inst = self.instruments[tick.symbol]
            kind = self._calendar(inst.calendar).session_kind(tick.ts)
            if kind is SessionKind.CLOSED:
                return  # a print while the market is closed trades nothing (see on_bar)
            regular = kind is SessionKind.REGULAR
        self.work(tick.symbol, tick.ts, tick.ts, tick.price, tick.price, tick.price, tick.price, tick.size, regular)

    def work(self, symbol: str, start: datetime, end: datetime, o: float, h: float, lo: float, c: float,
             volume: float, regular: bool) -> None:
        """Work the symbol's orders against one item: a bar ``[start, end)`` or a tick (``start == end``)."""
        if start == end:
            self._work_item(symbol, start, start, o, o, o, o, volume, regular, first=True)
        else:
            self.work_open(symbol, start, o, volume, regular)
            self.work_range(symbol, start, end, o, h, lo, c, volume, regular)

    def work_open(self, symbol: str, start: datetime, o: float, volume: float, regular: bool) -> None:
        """A bar's first step: orders that trade at its open fill there, stamped with its start."""
        self._work_item(symbol, start, start, o, o, o, o, volume, regular, first=True, opening=True)

    def work_range(self, symbol: str, start: datetime, end: datetime, o: float, h: float, lo: float, c: float,
                   volume: float, regular: bool) -> None:
        """A bar's second step: the rest against its high and low, protective stops first, stamped with its end."""
        self._work_item(symbol, start, end, o, h, lo, c, volume, regular, first=False)

    def _work_item(self, symbol: str, start: datetime, ts: datetime, o: float, h: float, lo: float, c: float,
                   volume: float, regular: bool, *, first: bool, opening: bool = False) -> None:
        ids = self._working.get(symbol)
        if not ids:
            if not opening:
                self._last_px[symbol] = c
            return
        st = self.state
        last = st.last_seen.get(symbol)
        if last is not None and (start < last or (start == last and start != ts and not opening)
                                 or (start == last and opening)):
            return  # already worked (a replay after a restart)
        if opening and symbol in st.opened and st.opened[symbol][0] == start:
            return  # its open step ran before a restart; the range step comes next
        inst = self.instruments[symbol]
        tick = inst.tick_size
        events: list[BrokerEvent] = []
        px_o = to_tick(Decimal(repr(o)), tick)
        if h == o and lo == o:
            bar = PriceBar(px_o, px_o, px_o, px_o, volume)
        else:
            bar = PriceBar(px_o, to_tick(Decimal(repr(h)), tick), to_tick(Decimal(repr(lo)), tick),
                           to_tick(Decimal(repr(c)), tick), volume)
        self._pass(inst, ids, bar, start, ts, regular, events, first=first, stops_first=not opening)
        if not opening:
            st.last_seen[symbol] = start
            st.last_price[symbol] = bar.close
            self._last_px[symbol] = c
        if events or self._changed:
            self._commit(events)
        # else nothing durable changed: the marks are saved with the next change. Working the same prices
        # again after a crash changes nothing either, so no fsync is spent on a quiet bar or tick.

    def on_time(self, now: datetime) -> None:
        """Expire DAY orders whose session has closed (early closes included); a clock timer calls it."""
        self._expiries.pop(now, None)
        events: list[BrokerEvent] = []
        for ids in list(self._working.values()):
            for cid in list(ids):
                so = self.state.orders[cid]
                if so.expires_at is not None and so.expires_at <= now and so.working:
                    self._close(so, OrderStatus.EXPIRED, f"DAY order expired at the session close "
                                f"{so.expires_at.astimezone(ET):%Y-%m-%d %H:%M} ET", so.expires_at, events)
        if events:
            self._commit(events)

    # -- backtests that skip items ---------------------------------------------------------------------------
    def watches(self, symbol: str) -> list[Watch]:
        """What could make an item change this symbol's working orders (a superset: never misses one).

        A backtest shows the broker only the items these watches pick, and :meth:`skipped` for the rest; the
        results are the same as showing it every item (the property test of the node proves it).
        """
        out: list[Watch] = []
        parents = self.state.orders
        for cid in self._working.get(symbol, ()):
            so = parents[cid]
            if so.parent_id is not None and parents[so.parent_id].filled_qty == 0:
                continue  # held until its parent fills, which happens on a watched item
            since, rth = to_us(so.submitted_at), not so.outside_rth
            kind = so.order_type
            buy = so.side is Side.BUY
            if kind is OrderType.MARKET or so.tif in _FIRST_ONLY:
                out.append(Watch(WatchKind.NEXT, since, rth))
            elif kind is OrderType.LIMIT or (kind is OrderType.STOP_LIMIT and so.triggered):
                assert so.limit_price is not None
                out.append(Watch(WatchKind.LOW if buy else WatchKind.HIGH, since, rth, float(so.limit_price)))
            elif kind is OrderType.STOP or kind is OrderType.STOP_LIMIT:
                assert so.stop_price is not None
                out.append(Watch(WatchKind.HIGH if buy else WatchKind.LOW, since, rth, float(so.stop_price)))
            else:
                out.append(Watch(WatchKind.TRAIL, since, rth,
                                 None if so.stop_price is None else float(so.stop_price), sell=not buy,
                                 trail_ref=None if so.trail_ref is None else float(so.trail_ref),
                                 trail_pct=None if so.trail_percent is None else float(so.trail_percent),
                                 trail_amount=None if so.trail_amount is None else float(so.trail_amount),
                                 trail_trigger=None if so.trail_active or so.trail_trigger is None
                                 else float(so.trail_trigger)))
        return out

    def skipped(self, symbol: str, last_start: datetime, last_close: float, high: float | None,
                low: float | None) -> None:
        """Items up to ``last_start`` were not shown because none could fill an order (see :meth:`watches`).

        ``high``/``low`` are the extremes of the skipped items an order could have worked on (regular session),
        ``None`` when there were none; trailing stops move with them exactly as they would item by item.
        """
        st = self.state
        inst = self.instruments[symbol]
        self._last_px[symbol] = last_close
        working = self._working.get(symbol)
        if not working:
            return  # as when shown: with nothing working the broker only notes the last price
        for cid in working:
            so = st.orders[cid]
            if so.order_type is not OrderType.TRAILING_STOP or (high is None or low is None):
                continue
            if so.parent_id is not None and st.orders[so.parent_id].filled_qty == 0:
                continue
            if so.trail_ref is None and so.trail_active:
                continue  # starts at the next open it is shown
            best = high if so.side is Side.SELL else low
            if advance_trail(so, to_tick(Decimal(repr(best)), inst.tick_size), inst.tick_size):
                self._changed.add(cid)
        st.last_seen[symbol] = last_start
        st.last_price[symbol] = to_tick(Decimal(repr(last_close)), inst.tick_size)

    def has_working(self, symbol: str) -> bool:
        """True when an order of ``symbol`` is working (or held for its parent) at this broker."""
        return bool(self._working.get(symbol))

    def has_trailing(self, symbol: str) -> bool:
        """True when a trailing stop works on ``symbol`` (skipped items then move it: see :meth:`skipped`)."""
        orders = self.state.orders
        return any(orders[cid].order_type is OrderType.TRAILING_STOP for cid in self._working.get(symbol, ()))

    # -- internals -----------------------------------------------------------------------------------------
    def _accept(self, order: Order, events: list[BrokerEvent], held: bool = False) -> SimOrder:
        cid = order.client_order_id
        if cid in self.state.orders:
            raise BrokerError(f"simulated broker: order {cid} was already submitted; a client order id is "
                              f"never sent twice")
        now = self.clock.now()
        req = order.request
        self.state.order_seq += 1
        so = SimOrder(client_order_id=cid, broker_order_id=str(self.state.order_seq), symbol=req.symbol,
                      side=req.side, order_type=req.order_type, quantity=req.quantity, tif=req.tif,
                      submitted_at=now, limit_price=req.limit_price, stop_price=req.stop_price,
                      trail_amount=req.trail_amount, trail_percent=req.trail_percent, outside_rth=req.outside_rth,
                      oco_group=order.oco_group, routing=req.routing, allocation=req.allocation,
                      product_type=req.product_type, reduce_only=req.reduce_only, parent_id=order.parent_id,
                      trail_trigger=req.trail_trigger, trail_active=req.trail_trigger is None)
        self._changed.add(cid)
        self.state.orders[cid] = so
        if so.oco_group:
            self._oco.setdefault(so.oco_group, []).append(cid)
        inst = self.instruments.get(req.symbol)
        if inst is None or not inst.tradable:
            so.status = OrderStatus.REJECTED
            so.reason = f"{req.symbol}: no such tradable instrument at the simulated broker"
            events.append(OrderRejected(cid, now, reason=so.reason))
            return so
        if req.tif is TimeInForce.DAY:
            so.expires_at = self._day_expiry(inst, now, req.outside_rth)
            self._arm_expiry(so)
        if req.order_type is OrderType.TRAILING_STOP and not held:
            last = self.state.last_price.get(req.symbol)
            if last is None and req.symbol in self._last_px:
                last = to_tick(Decimal(repr(self._last_px[req.symbol])), inst.tick_size)
            if last is not None and so.trail_active:
                so.trail_ref = last
                so.stop_price = tighter(so.side, so.stop_price, trail_stop(so, inst.tick_size))
        self._working.setdefault(req.symbol, []).append(cid)
        events.append(OrderAccepted(cid, now, broker_order_id=so.broker_order_id))
        if so.oco_group and any(c != cid and self.state.orders[c].filled_qty > 0 for c in self._oco[so.oco_group]):
            # One-cancels-other: a member already traded (before a restart, say), so this one may never work.
            self._close(so, OrderStatus.CANCELLED, f"OCO: group {so.oco_group} already filled", now, events)
        return so

    def _eligible(self, so: SimOrder, start: datetime, regular: bool) -> bool:
        if not so.working or so.submitted_at > start or not (regular or so.outside_rth):
            return False
        if so.parent_id is not None:
            return self.state.orders[so.parent_id].filled_qty > so.filled_qty
        return True

    def _pass(self, inst: Instrument, ids: list[str], bar: PriceBar, start: datetime, ts: datetime, regular: bool,
              events: list[BrokerEvent], *, first: bool, stops_first: bool) -> None:
        """Work the eligible orders once against ``bar``; fills are stamped ``ts``.

        ``first``: this is the first price of the item (IOC/FOK orders get their one chance here). Children
        that become active while the pass runs (their parent filled) are worked in the same pass.
        """
        orders = self.state.orders
        queue = [orders[cid] for cid in ids]
        if stops_first:
            queue.sort(key=lambda so: so.order_type not in _STOPS or so.triggered)
        opening = first and not stops_first
        # A bar's volume is shared by its two steps: an order's participation cap is spent once per bar.
        used: dict[str, Decimal] = {}
        if opening:
            self.state.opened[inst.symbol] = (start, used)
        elif not first:
            seen, at_open = self.state.opened.pop(inst.symbol, (start, used))
            used = at_open if seen == start else used
        done: set[str] = set()
        k = 0
        while k < len(queue):
            so = queue[k]
            k += 1
            cid = so.client_order_id
            if cid in done or not self._eligible(so, start, regular):
                continue
            if so.tif in _FIRST_ONLY and (not first or so.first_chance_done):
                continue
            done.add(cid)
            filled_before = so.filled_qty
            self._work(so, inst, bar, ts, events, used.get(cid, ZERO))
            if so.filled_qty > filled_before:
                if opening and self._participation is not None:
                    used[cid] = so.filled_qty - filled_before
                if cid in self._children:
                    queue.extend(orders[c] for c in self._children[cid] if c not in done)

    def _work(self, so: SimOrder, inst: Instrument, px: PriceBar, ts: datetime, events: list[BrokerEvent],
              used: Decimal = ZERO) -> None:
        """Work one order against ``px``; ``used``: what it already filled at this bar's open (participation)."""
        first_only = so.tif in _FIRST_ONLY
        before = (so.trail_ref, so.stop_price, so.triggered, so.trail_active)
        price = fill_price(so, px, inst.tick_size, self._slip, self._touch)
        if (so.trail_ref, so.stop_price, so.triggered, so.trail_active) != before:
            self._changed.add(so.client_order_id)  # a trailing stop moved, a stop-limit armed
        room = so.remaining
        if so.parent_id is not None:
            room = min(room, self.state.orders[so.parent_id].filled_qty - so.filled_qty)
        qty = ZERO if price is None else \
            max(fill_quantity(room + used, px.volume, self._participation, inst.contract_size) - used, ZERO)
        if so.tif is TimeInForce.FOK and qty < so.remaining:
            qty = ZERO
        if price is not None and qty > 0:
            self._fill(so, inst, qty, price, ts, events)
            if so.oco_group:
                for other in (self.state.orders[c] for c in self._oco.get(so.oco_group, ())):
                    if other is not so and other.working:
                        self._close(other, OrderStatus.CANCELLED, f"OCO: {so.client_order_id} filled", ts, events)
        if first_only:
            so.first_chance_done = True
            if so.working:
                what = f"the unfilled {so.remaining} cancelled" if so.filled_qty else "not filled"
                self._close(so, OrderStatus.CANCELLED, f"{so.tif.value}: {what} at the first price", ts, events)

    def _fill(self, so: SimOrder, inst: Instrument, qty: Decimal, price: Decimal, ts: datetime,
              events: list[BrokerEvent]) -> None:
        st = self.state
        self._changed.add(so.client_order_id)
        charges, so.charges = self.commissions.charges(inst, so.side, qty, price, ts, so.charges)
        st.exec_seq += 1
        ex = Execution(exec_id=f"SIM-{st.exec_seq:08d}", client_order_id=so.client_order_id, symbol=so.symbol,
                       side=so.side, quantity=qty, price=price, ts=ts, charges=charges)
        total = so.filled_qty + qty
        so.avg_fill_price = price if not so.filled_qty else \
            ((so.avg_fill_price or ZERO) * so.filled_qty + price * qty) / total
        so.filled_qty = total
        st.executions.append(ex)
        self._book(inst, so.side, qty, price, charges.total)
        if so.remaining == 0:
            so.status = OrderStatus.FILLED
            self._unindex(so)
            events.append(OrderFilled(so.client_order_id, ts, execution=ex))
        else:
            so.status = OrderStatus.PARTIALLY_FILLED
            events.append(OrderPartiallyFilled(so.client_order_id, ts, execution=ex))
        if so.client_order_id in self._children:
            for cid in self._children[so.client_order_id]:
                child = st.orders[cid]
                if child.order_type is OrderType.TRAILING_STOP and child.trail_active and child.trail_ref is None:
                    child.trail_ref = price  # the trail starts from the entry's fill
                    child.stop_price = tighter(child.side, child.stop_price, trail_stop(child, inst.tick_size))
                    self._changed.add(cid)

    def _book(self, inst: Instrument, side: Side, qty: Decimal, price: Decimal, charges: Decimal) -> None:
        st = self.state
        pos = st.positions.get(inst.symbol)
        if pos is None:
            pos = st.positions[inst.symbol] = Position(inst.multiplier)
        pos.multiplier = inst.multiplier
        st.cash -= side.sign * qty * price * inst.multiplier + charges
        st.total_charges += charges
        st.realized_pnl += pos.add_fill(side, qty, price)

    def _close(self, so: SimOrder, status: OrderStatus, reason: str, ts: datetime, events: list[BrokerEvent]) -> None:
        so.status = status
        so.reason = reason
        self._changed.add(so.client_order_id)
        self._unindex(so)
        if status is OrderStatus.EXPIRED:
            events.append(OrderExpired(so.client_order_id, ts, reason=reason))
        else:
            events.append(OrderCancelled(so.client_order_id, ts, reason=reason))
        for cid in self._children.get(so.client_order_id, ()):
            child = self.state.orders[cid]
            if not child.working:
                continue
            if so.filled_qty == 0:
                self._close(child, OrderStatus.CANCELLED, f"parent {so.client_order_id} ended without a fill", ts,
                            events)
            elif child.quantity > so.filled_qty > child.filled_qty:
                child.quantity = so.filled_qty  # protect what the parent filled, no more
                child.revision += 1
                self._changed.add(cid)
                events.append(OrderModified(cid, ts, quantity=child.quantity, revision=child.revision))

    def _arm_expiry(self, so: SimOrder) -> None:
        when = so.expires_at
        if when is not None and when not in self._expiries:
            self._expiries[when] = self.clock.call_at(when, self.on_time)

    def _day_expiry(self, inst: Instrument, ts: datetime, outside_rth: bool) -> datetime:
        """Close (post-market close for outside-RTH orders) of the session the order works in."""
        key = (inst.calendar, outside_rth)
        known = self._expiry_cache.get(key)
        if known is not None and known[0] <= ts < known[1]:
            return known[1]
        expiry = self._find_expiry(inst, ts, outside_rth)
        s = self._calendar(inst.calendar).session_at(ts)
        if s is not None and ts < expiry:  # valid for the rest of this session
            self._expiry_cache[key] = (max(s.pre_open, ts), expiry)
        return expiry

    def _find_expiry(self, inst: Instrument, ts: datetime, outside_rth: bool) -> datetime:
        cal = self._calendar(inst.calendar)
        s = cal.session_at(ts)
        if s is not None and ts < (s.post_close if outside_rth else s.close):
            return s.post_close if outside_rth else s.close
        d = ts.astimezone(ET).date()
        today = cal.session(d) if cal.is_session(d) else None
        nxt = cal.session(d if today is not None and ts < today.pre_open else cal.next_session(d))
        assert nxt is not None
        return nxt.post_close if outside_rth else nxt.close

    def _calendar(self, name: str) -> MarketCalendar:
        cal = self._calendars.get(name)
        if cal is None:
            cal = self._calendars[name] = get_calendar(name, self.market)
        return cal

    def _unindex(self, so: SimOrder) -> None:
        ids = self._working.get(so.symbol)
        if ids and so.client_order_id in ids:
            ids.remove(so.client_order_id)
            if not ids:
                del self._working[so.symbol]

    def _get(self, cid: str) -> SimOrder:
        so = self.state.orders.get(cid)
        if so is None:
            raise BrokerError(f"simulated broker: no order {cid}")
        return so

    def _commit(self, events: list[BrokerEvent]) -> None:
        """Persist the state, then tell the subscribers (a crash in between loses no broker fact)."""
        if self._store is not None:
            _state_module.persist(self._store, self.state, self._changed)
        self._changed.clear()  # kept on a failed save: the next save writes them too
        error: Exception | None = None
        for event in events:
            for handler in self._handlers:
                try:
                    handler(event)
                except Exception as exc:  # deliver the rest; the first error surfaces after
                    log.exception("broker event handler failed on %s", event)
                    error = error or exc
        if error is not None:
            raise error

    @staticmethod
    def _view(so: SimOrder) -> BrokerOrder:
        return BrokerOrder(client_order_id=so.client_order_id, broker_order_id=so.broker_order_id,
                           symbol=so.symbol, side=so.side, order_type=so.order_type, quantity=so.quantity,
                           filled_qty=so.filled_qty, status=so.status, tif=so.tif, limit_price=so.limit_price,
                           stop_price=so.stop_price, avg_fill_price=so.avg_fill_price, reason=so.reason,
                           revision=so.revision, routing=so.routing, allocation=so.allocation,
                           product_type=so.product_type, outside_rth=so.outside_rth, oco_group=so.oco_group,
                           trail_amount=so.trail_amount, trail_percent=so.trail_percent, parent_id=so.parent_id)
