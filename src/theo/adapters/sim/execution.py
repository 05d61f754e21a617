"""The simulated broker: works orders against incoming bars or ticks, charges the IBKR schedules, keeps its
state on disk (``state_path``) so that a restarted engine meets the same orders, fills and positions.

The engine calls :meth:`SimulatedBroker.on_bar` / :meth:`on_tick` for every bar or tick and
:meth:`on_time` on its timer; each returns at once when nothing is working for that symbol. Fills learnt
from a bar are stamped at the bar's end (when they become known); an order only trades on bars that start
at or after its submission. Events are emitted after the new state is safely on disk.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from theo.adapters.sim import state as _state_module
from theo.adapters.sim.state import Position, SimOrder, SimState, StateStore
from theo.config.market import MarketConfig
from theo.core.calendar import ET, MarketCalendar, get_calendar
from theo.core.clock import Clock
from theo.core.errors import BrokerError
from theo.execution.broker import AccountValues, Broker, BrokerOrder, BrokerPosition, EventHandler
from theo.execution.commissions import CommissionModel
from theo.execution.config import ExecutionConfig
from theo.execution.fills import PriceBar, fill_price, fill_quantity, to_tick, trail_stop
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
from theo.model.market import Bar, Tick
from theo.model.money import ZERO
from theo.model.orders import Order

log = logging.getLogger(__name__)
_FIRST_ONLY = (TimeInForce.IOC, TimeInForce.FOK)


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
        self._handlers: list[EventHandler] = []
        self._last_px: dict[str, float] = {}
        self._calendars: dict[str, MarketCalendar] = {}
        self._store = StateStore(state_path) if state_path else None
        self.state = self._store.load(config.sim.initial_cash) if self._store else \
            SimState(cash=config.sim.initial_cash)
        self._changed: set[str] = set()  # orders changed since the last save
        self._working: dict[str, list[str]] = {}
        self._oco: dict[str, list[str]] = {}  # members of each OCO group: no scan of the whole history
        for o in self.state.orders.values():
            if o.working:
                self._working.setdefault(o.symbol, []).append(o.client_order_id)
            if o.oco_group:
                self._oco.setdefault(o.oco_group, []).append(o.client_order_id)
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
                      product_type=req.product_type, reduce_only=req.reduce_only)
        self._changed.add(cid)
        if so.oco_group:
            self._oco.setdefault(so.oco_group, []).append(cid)
        inst = self.instruments.get(req.symbol)
        event: BrokerEvent
        if inst is None or not inst.tradable:
            so.status = OrderStatus.REJECTED
            so.reason = f"{req.symbol}: no such tradable instrument at the simulated broker"
            event = OrderRejected(cid, now, reason=so.reason)
        else:
            if req.tif is TimeInForce.DAY:
                so.expires_at = self._day_expiry(inst, now, req.outside_rth)
            if req.order_type is OrderType.TRAILING_STOP:
                last = self.state.last_price.get(req.symbol)
                if last is None and req.symbol in self._last_px:
                    last = to_tick(Decimal(str(self._last_px[req.symbol])), inst.tick_size)
                so.trail_ref = last
                so.stop_price = trail_stop(so, inst.tick_size)
            self._working.setdefault(req.symbol, []).append(cid)
            event = OrderAccepted(cid, now, broker_order_id=so.broker_order_id)
            if so.oco_group and any(c != cid and self.state.orders[c].filled_qty > 0
                                    for c in self._oco.get(so.oco_group, ())):
                # One-cancels-other: a member already traded, so this one may never work.
                events: list[BrokerEvent] = [event]
                self.state.orders[cid] = so
                self._close(so, OrderStatus.CANCELLED, f"OCO: group {so.oco_group} already filled", now, events)
                self._commit(events)
                return
        self.state.orders[cid] = so
        self._commit([event])

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
                px = Decimal(str(self._last_px[sym])) if sym in self._last_px else pos.avg_cost
            net += pos.quantity * px * mult
            gross += abs(pos.quantity) * px * mult
        equity = self.state.cash + net
        power = max(equity * self.config.sim.margin_multiplier - gross, ZERO)
        return AccountValues(cash=self.state.cash, equity=equity, buying_power=power, gross_position_value=gross,
                             realized_pnl=self.state.realized_pnl, total_charges=self.state.total_charges)

    # -- market data ---------------------------------------------------------------------------------------
    def on_bar(self, bar: Bar) -> None:
        """Work this symbol's orders against a closed bar (fast no-op when none is working)."""
        ids = self._working.get(bar.symbol)
        if not ids:
            self._last_px[bar.symbol] = bar.close
            return
        inst = self.instruments[bar.symbol]
        tick = inst.tick_size
        o, h, lo, c = (to_tick(Decimal(repr(v)), tick) for v in (bar.open, bar.high, bar.low, bar.close))
        px = PriceBar(o, h, lo, c, bar.volume)
        self._on_prices(inst, px, bar.start, bar.end, bar.session is SessionKind.REGULAR)

    def on_tick(self, tick: Tick) -> None:
        """Work this symbol's orders against a trade print (fast no-op when none is working)."""
        ids = self._working.get(tick.symbol)
        if not ids:
            self._last_px[tick.symbol] = tick.price
            return
        inst = self.instruments[tick.symbol]
        p = to_tick(Decimal(repr(tick.price)), inst.tick_size)
        regular = self._calendar(inst.calendar).session_kind(tick.ts) is SessionKind.REGULAR
        self._on_prices(inst, PriceBar(p, p, p, p, tick.size), tick.ts, tick.ts, regular)

    def on_time(self, now: datetime) -> None:
        """Expire DAY orders whose session has closed (early closes included)."""
        events: list[BrokerEvent] = []
        self._expire(now, events)
        if events:
            self._commit(events)

    # -- internals -----------------------------------------------------------------------------------------
    def _on_prices(self, inst: Instrument, px: PriceBar, start: datetime, end: datetime, regular: bool) -> None:
        sym = inst.symbol
        last = self.state.last_seen.get(sym)
        if last is not None and (start < last or (start == last and start != end)):
            return  # already worked (a replay after a restart)
        events: list[BrokerEvent] = []
        self._expire(start, events)
        for cid in list(self._working.get(sym, ())):
            so = self.state.orders[cid]
            if not so.working or so.submitted_at > start or not (regular or so.outside_rth):
                continue
            self._work(so, inst, px, end, events)
        self.state.last_seen[sym] = start
        self.state.last_price[sym] = px.close
        self._last_px[sym] = float(px.close)
        if events or self._changed:
            self._commit(events)
        # else nothing durable changed: the marks are saved with the next change. Working the same prices
        # again after a crash changes nothing either, so no fsync is spent on a quiet bar or tick.

    def _work(self, so: SimOrder, inst: Instrument, px: PriceBar, ts: datetime, events: list[BrokerEvent]) -> None:
        sim = self.config.sim
        first_only = so.tif in _FIRST_ONLY
        before = (so.trail_ref, so.stop_price, so.triggered)
        price = fill_price(so, px, inst.tick_size, sim.slippage_ticks, sim.limit_fill == "touch")
        if (so.trail_ref, so.stop_price, so.triggered) != before:  # a trailing stop moved, a stop-limit armed
            self._changed.add(so.client_order_id)
        qty = ZERO if price is None else fill_quantity(so.remaining, px.volume, sim.participation,
                                                       inst.contract_size)
        if so.tif is TimeInForce.FOK and qty < so.remaining:
            qty = ZERO
        if price is not None and qty > 0:
            self._fill(so, inst, qty, price, ts, events)
            if so.oco_group:
                for other in (self.state.orders[c] for c in self._oco.get(so.oco_group, ())):
                    if other is not so and other.working:
                        self._close(other, OrderStatus.CANCELLED, f"OCO: {so.client_order_id} filled", ts, events)
        if first_only and so.working:
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
        so.avg_fill_price = ((so.avg_fill_price or ZERO) * so.filled_qty + price * qty) / total
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

    def _book(self, inst: Instrument, side: Side, qty: Decimal, price: Decimal, charges: Decimal) -> None:
        st = self.state
        pos = st.positions.setdefault(inst.symbol, Position())
        signed = side.sign * qty
        st.cash -= signed * price * inst.multiplier + charges
        st.total_charges += charges
        if pos.quantity == 0 or (pos.quantity > 0) == (signed > 0):
            pos.avg_cost = (pos.avg_cost * abs(pos.quantity) + price * qty) / (abs(pos.quantity) + qty)
            pos.quantity += signed
            return
        closed = min(abs(pos.quantity), qty)
        direction = 1 if pos.quantity > 0 else -1
        st.realized_pnl += closed * (price - pos.avg_cost) * direction * inst.multiplier
        pos.quantity += signed
        if pos.quantity == 0:
            pos.avg_cost = ZERO
        elif (pos.quantity > 0) != (direction > 0):
            pos.avg_cost = price  # the position flipped: the rest opened at this price

    def _close(self, so: SimOrder, status: OrderStatus, reason: str, ts: datetime, events: list[BrokerEvent]) -> None:
        so.status = status
        so.reason = reason
        self._changed.add(so.client_order_id)
        self._unindex(so)
        if status is OrderStatus.EXPIRED:
            events.append(OrderExpired(so.client_order_id, ts, reason=reason))
        else:
            events.append(OrderCancelled(so.client_order_id, ts, reason=reason))

    def _expire(self, now: datetime, events: list[BrokerEvent]) -> None:
        for ids in list(self._working.values()):
            for cid in list(ids):
                so = self.state.orders[cid]
                if so.expires_at is not None and so.expires_at <= now and so.working:
                    self._close(so, OrderStatus.EXPIRED, f"DAY order expired at the session close "
                                f"{so.expires_at.astimezone(ET):%Y-%m-%d %H:%M} ET", so.expires_at, events)

    def _day_expiry(self, inst: Instrument, ts: datetime, outside_rth: bool) -> datetime:
        """Close (post-market close for outside-RTH orders) of the session the order works in."""
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
                           trail_amount=so.trail_amount, trail_percent=so.trail_percent)
