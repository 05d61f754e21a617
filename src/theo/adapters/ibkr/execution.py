"""The IBKR broker: Theo's :class:`~theo.execution.broker.Broker` on TWS / IB Gateway through ``ib_async``.

* **Ids.** Our client order id travels in ``orderRef``; IBKR's order id and ``permId`` are reported in
  :class:`OrderAccepted` and go to the journal's order-id map. Every lookup after a restart goes by
  ``orderRef``, so an order is found again whatever id TWS gave it.
* **Sending.** ``placeOrder`` only writes to the socket; the answer comes as events. A bracket is the parent
  and its children with ``transmit`` on the last child only, the children one OCA group (``ocaType`` 1).
  An order without any answer within the request timeout is handed back as UNKNOWN and resolved by asking
  TWS (open orders, completed orders, executions), never by sending it again.
* **Fills.** ``execDetails`` is held until its ``commissionReport`` (at most ``commission_wait_seconds``), then
  reported once per execution id with IBKR's commission (or the modelled charges when none came). A status
  that ends an order waits behind the order's held fills, so the journal sees the fills first.
* **Reconnects.** TWS's own records are the truth: after every (re)connect ``ib_async`` has fetched the
  open and completed orders, the executions and the positions; :meth:`IbkrBroker.resync` then cancels stray
  incarnations (two live orders with one ``orderRef``: IBKR turns a modify sent during a connectivity loss
  into a second order) with an alert, and the node reconciles before it trades again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ib_async import Contract, Fill, Trade
from ib_async import Order as IbOrder

from theo.adapters.ibkr.connection import IbkrSession
from theo.adapters.ibkr.errors import IbError, IbkrError, IbkrUnavailable, Kind, classify
from theo.adapters.ibkr.parsing import (
    ORDER_TYPES_BACK,
    contract_for,
    dec,
    ib_order,
    side_of,
    status_of,
    symbol_of,
    utc,
)
from theo.core.clock import Clock
from theo.core.logging import get_logger
from theo.execution.broker import AccountValues, Broker, BrokerOrder, BrokerPosition, EventHandler
from theo.execution.commissions import CommissionModel, OrderChargeState
from theo.execution.config import ExecutionConfig
from theo.model.enums import OrderStatus, OrderType, Routing, Side, TimeInForce
from theo.model.events import (
    BrokerEvent,
    Charges,
    Execution,
    OrderAccepted,
    OrderCancelled,
    OrderFilled,
    OrderModified,
    OrderPartiallyFilled,
    OrderRejected,
)
from theo.model.instruments import Instrument, equity
from theo.model.money import ZERO
from theo.model.orders import Order

log = get_logger("theo.ibkr.execution")

_LIVE = frozenset({"PendingSubmit", "ApiPending", "PreSubmitted", "Submitted", "PendingCancel", "ValidationError"})
_DONE = frozenset({"Cancelled", "ApiCancelled", "Filled", "Inactive"})


@dataclass
class _Tracked:
    """What the adapter remembers of one of our orders at IBKR."""

    cid: str
    trade: Trade
    quantity: Decimal
    accepted: bool = False
    filled: Decimal = ZERO
    revision: int = 0
    modify: dict[str, Decimal] | None = None  # a modification sent, not yet confirmed
    held: dict[str, Fill] = field(default_factory=dict)  # exec id -> fill waiting for its commission
    after_fills: list[BrokerEvent] = field(default_factory=list)  # statuses waiting behind held fills
    charges: OrderChargeState = field(default_factory=OrderChargeState)
    children: list[str] = field(default_factory=list)


class IbkrBroker(Broker):
    """Orders at Interactive Brokers (see the module docstring)."""

    name = "ibkr"

    def __init__(self, session: IbkrSession, config: ExecutionConfig, clock: Clock,
                 instruments: Mapping[str, Instrument]) -> None:
        self.session = session
        self.ib = session.ib
        self.config = config
        self.clock = clock
        self.instruments = dict(instruments)
        self.commissions = CommissionModel(config.commissions)
        self.contracts: dict[str, Contract] = {}
        self.on_ack_timeout: Callable[[str, str], None] | None = None  # (client order id, why): the node resolves
        self._handlers: list[EventHandler] = []
        self._orders: dict[str, _Tracked] = {}
        self._booked: dict[str, Execution] = {}  # exec id -> the execution reported (with its charges)
        self._ack_timers: dict[str, asyncio.TimerHandle] = {}
        ib = self.ib
        ib.openOrderEvent += self._on_open_order
        ib.orderStatusEvent += self._on_status
        ib.execDetailsEvent += self._on_exec
        ib.commissionReportEvent += self._on_commission
        session.on_ready.append(self._on_ready)
        session.on_error.append(self._on_error)

    # -- life cycle -------------------------------------------------------------------------------------
    def connect(self) -> None:
        if not self.ib.isConnected():
            raise IbkrUnavailable(self.session.refusal() or "not connected to TWS / IB Gateway")

    def disconnect(self) -> None:
        for timer in self._ack_timers.values():
            timer.cancel()
        self._ack_timers.clear()

    def refusal(self) -> str:
        return self.session.refusal()

    def subscribe(self, handler: EventHandler) -> None:
        self._handlers.append(handler)

    async def _on_ready(self, reconnect: bool) -> None:
        await self.qualify(sorted(self.instruments))
        self.resync()

    async def qualify(self, symbols: Sequence[str]) -> None:
        """Look up the contracts of ``symbols`` once (conId, primary exchange); unknown ones are logged."""
        todo = [s for s in symbols if s not in self.contracts]
        if not todo:
            return
        contracts = [contract_for(self.instruments.get(s) or equity(s)) for s in todo]
        wait = self.session.config.request_timeout_seconds
        try:
            found = await asyncio.wait_for(self.ib.qualifyContractsAsync(*contracts), wait)
        except TimeoutError:
            log.warning("ibkr.contracts_unqualified", symbols=todo, wait_s=wait,
                        note="TWS did not answer the contract look-up; orders go out by symbol, exchange and currency")
            return
        for symbol, contract in zip(todo, found, strict=True):
            if isinstance(contract, Contract) and contract.conId:
                self.contracts[symbol] = contract
            else:
                log.error("ibkr.contract_unknown", symbol=symbol,
                          hint="IBKR has no single contract for it: check symbol, exchange and currency")

    def resync(self) -> list[str]:
        """Rebuild the index of our orders from TWS's records; cancel stray incarnations. Returns the strays."""
        by_ref: dict[str, list[Trade]] = {}
        for trade in self.ib.trades():
            ref = trade.order.orderRef
            if ref:
                by_ref.setdefault(ref, []).append(trade)
        strays: list[str] = []
        for ref, trades in by_ref.items():
            live = sorted((t for t in trades if t.orderStatus.status in _LIVE), key=_perm)
            keep = self._pick(ref, trades, live)
            tracked = self._orders.get(ref)
            if tracked is None:
                qty = dec(keep.order.totalQuantity) or ZERO
                accepted = keep.orderStatus.status != "PendingSubmit"
                tracked = self._orders[ref] = _Tracked(ref, keep, qty, accepted=accepted)
            else:
                tracked.trade = keep
            for stray in live:
                if stray is keep:
                    continue
                strays.append(f"{ref} (permId {stray.order.permId})")
                log.error("ibkr.stray_order", order=ref, perm_id=stray.order.permId, kept=keep.order.permId)
                self.ib.cancelOrder(stray.order)
        if strays:
            self.session.alert("critical", f"IBKR had two live orders for {', '.join(strays)}: a change sent while "
                                           f"the connection was lost became a second order; the stray was cancelled")
        return strays

    def _pick(self, ref: str, trades: list[Trade], live: list[Trade]) -> Trade:
        """The incarnation of ``ref`` Theo placed: the one with the order id we sent, else the oldest permId."""
        tracked = self._orders.get(ref)
        if tracked is not None:
            mine = [t for t in live if t.order.orderId == tracked.trade.order.orderId and t.order.orderId > 0]
            if mine:
                return mine[0]
        if live:
            return live[0]
        return sorted(trades, key=_perm)[-1]

    # -- orders -----------------------------------------------------------------------------------------
    def _contract(self, symbol: str, order: Order | None = None) -> Contract:
        contract = self.contracts.get(symbol)
        if contract is None:
            contract = contract_for(self.instruments.get(symbol) or equity(symbol))
        if order is not None and order.request.routing is not Routing.SMART:
            inst = self.instruments.get(symbol) or equity(symbol)
            routed = contract_for(inst, order.request.routing, contract.primaryExchange)
            routed.conId = contract.conId
            return routed
        return contract

    def _ready_to_send(self) -> None:
        why = self.session.refusal()
        if why:
            raise IbkrUnavailable(why)

    def submit(self, order: Order) -> None:
        self._ready_to_send()
        self._place(order, self.ib.client.getReqId(), transmit=True)

    def submit_bracket(self, parent: Order, children: Sequence[Order]) -> None:
        self._ready_to_send()
        pid = self.ib.client.getReqId()
        self._place(parent, pid, transmit=False)
        for k, child in enumerate(children):
            self._place(child, self.ib.client.getReqId(), parent_id=pid, transmit=k == len(children) - 1)
        self._orders[parent.client_order_id].children = [c.client_order_id for c in children]

    def _place(self, order: Order, order_id: int, *, parent_id: int = 0, transmit: bool) -> None:
        ib = ib_order(order, self.session.account, order_id, parent_id=parent_id, transmit=transmit)
        contract = self._contract(order.request.symbol, order)
        try:
            trade = self.ib.placeOrder(contract, ib)
        except ConnectionError as exc:
            raise IbkrError(f"order {order.client_order_id} could not be written to TWS: {exc}") from exc
        self._orders[order.client_order_id] = _Tracked(order.client_order_id, trade, order.request.quantity)
        self._arm_ack_timer(order.client_order_id)

    def _arm_ack_timer(self, cid: str) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        wait = self.session.config.request_timeout_seconds
        self._ack_timers[cid] = loop.call_later(wait, self._ack_timed_out, cid, wait)

    def _ack_timed_out(self, cid: str, wait: float) -> None:
        self._ack_timers.pop(cid, None)
        tracked = self._orders.get(cid)
        if tracked is None or tracked.accepted or tracked.filled:
            return
        why = f"TWS did not acknowledge order {cid} within {wait:g} s; it is resolved by asking TWS, not re-sent"
        log.warning("ibkr.ack_timeout", order=cid, wait_s=wait)
        if self.on_ack_timeout is not None:
            self.on_ack_timeout(cid, why)

    def modify(self, client_order_id: str, *, quantity: Decimal | None = None, limit_price: Decimal | None = None,
               stop_price: Decimal | None = None) -> None:
        tracked = self._live(client_order_id)
        if not self.ib.isConnected():
            raise IbkrUnavailable(self.session.refusal())
        order: IbOrder = tracked.trade.order
        change: dict[str, Decimal] = {}
        if quantity is not None:
            order.totalQuantity = float(quantity)
            change["quantity"] = quantity
        if limit_price is not None:
            order.lmtPrice = float(limit_price)
            change["limit_price"] = limit_price
        if stop_price is not None:
            if order.orderType in ("TRAIL", "TRAIL LIMIT"):
                order.trailStopPrice = float(stop_price)
            else:
                order.auxPrice = float(stop_price)
            change["stop_price"] = stop_price
        order.transmit = True
        tracked.modify = change
        self.ib.placeOrder(tracked.trade.contract, order)

    def cancel(self, client_order_id: str) -> None:
        tracked = self._live(client_order_id)
        if not self.ib.isConnected():
            raise IbkrUnavailable(self.session.refusal())
        self.ib.cancelOrder(tracked.trade.order)

    def _live(self, cid: str) -> _Tracked:
        tracked = self._orders.get(cid)
        if tracked is None:
            raise IbkrError(f"order {cid} is not known at IBKR (not sent, or from another session not yet synced)")
        return tracked

    # -- the broker's records ---------------------------------------------------------------------------
    def order_status(self, client_order_id: str) -> BrokerOrder | None:
        tracked = self._orders.get(client_order_id)
        if tracked is None:
            self.resync()
            tracked = self._orders.get(client_order_id)
        if tracked is None:
            return None
        if tracked.trade.orderStatus.status == "PendingSubmit" and not tracked.accepted and not self._known_at_tws(
                tracked.trade):
            return None
        return self._view(tracked)

    def _known_at_tws(self, trade: Trade) -> bool:
        return bool(trade.order.permId) or any(t.order.orderRef == trade.order.orderRef and t is not trade
                                               for t in self.ib.trades())

    def open_orders(self) -> list[BrokerOrder]:
        out = []
        for trade in self.ib.openTrades():
            ref = trade.order.orderRef
            tracked = self._orders.get(ref) if ref else None
            if tracked is not None and tracked.trade is trade:
                out.append(self._view(tracked))
            else:
                qty = dec(trade.order.totalQuantity) or ZERO
                out.append(self._view(_Tracked(ref or f"ib-perm-{trade.order.permId}", trade, qty)))
        return out

    def executions(self, since: datetime | None = None) -> list[Execution]:
        """TWS's executions: as reported when they were, else with IBKR's commission or the modelled charges
        (each order's fills in turn, so a minimum commission is charged once, as the live path does)."""
        fills = sorted(self.ib.fills(), key=lambda f: (utc(f.execution.time), f.execution.execId))
        states: dict[str, OrderChargeState] = {}
        out = []
        for fill in fills:
            booked = self._booked.get(fill.execution.execId)
            if booked is None:
                cid = self._ref_of(fill.execution)
                booked, states[cid] = self._execution(fill, states.get(cid))
            if since is None or booked.ts >= since:
                out.append(booked)
        return out

    def positions(self) -> dict[str, BrokerPosition]:
        out: dict[str, BrokerPosition] = {}
        for pos in self.ib.positions(self.session.account or ""):
            qty = dec(pos.position) or ZERO
            if qty:
                symbol = symbol_of(pos.contract)
                out[symbol] = BrokerPosition(symbol, qty, dec(pos.avgCost) or ZERO)
        return out

    def account_values(self) -> AccountValues:
        values = {v.tag: v.value for v in self.ib.accountValues(self.session.account or "")
                  if v.currency in ("USD", "BASE", "")}

        def get(tag: str) -> Decimal:
            return dec(values.get(tag)) or ZERO

        return AccountValues(cash=get("TotalCashValue"), equity=get("NetLiquidation"),
                             buying_power=get("BuyingPower"), gross_position_value=get("GrossPositionValue"),
                             realized_pnl=get("RealizedPnL"))

    def _view(self, tracked: _Tracked) -> BrokerOrder:
        trade = tracked.trade
        o, st = trade.order, trade.orderStatus
        filled = dec(st.filled) or dec(getattr(o, "filledQuantity", None)) or ZERO
        status = status_of(st.status, filled)
        reason = _last_error(trade)[1] if status in (OrderStatus.CANCELLED, OrderStatus.REJECTED) else ""
        otype = ORDER_TYPES_BACK.get(o.orderType, OrderType.LIMIT)
        trail = otype is OrderType.TRAILING_STOP
        return BrokerOrder(
            client_order_id=tracked.cid, broker_order_id=str(o.orderId), symbol=symbol_of(trade.contract),
            side=Side.BUY if o.action == "BUY" else Side.SELL, order_type=otype,
            quantity=dec(o.totalQuantity) or tracked.quantity, filled_qty=filled, status=status,
            tif=TimeInForce(o.tif) if o.tif in TimeInForce.__members__ else TimeInForce.DAY,
            limit_price=dec(o.lmtPrice) if otype in (OrderType.LIMIT, OrderType.STOP_LIMIT) else None,
            stop_price=dec(o.trailStopPrice) if trail else (
                dec(o.auxPrice) if otype in (OrderType.STOP, OrderType.STOP_LIMIT) else None),
            avg_fill_price=dec(st.avgFillPrice) if filled else None, perm_id=str(o.permId or ""), reason=reason,
            revision=tracked.revision, outside_rth=bool(o.outsideRth), oco_group=o.ocaGroup or None,
            trail_amount=dec(o.auxPrice) if trail and not dec(o.trailingPercent) else None,
            trail_percent=dec(o.trailingPercent) if trail else None)

    def _execution(self, fill: Fill, prior: OrderChargeState | None) -> tuple[Execution, OrderChargeState]:
        """The execution of ``fill``, charged IBKR's reported commission or, when none came, the commission
        model given what the order was charged before (``prior``); and the order's charges after it."""
        ex = fill.execution
        symbol, side = symbol_of(fill.contract), side_of(ex.side)
        qty, price, ts = dec(ex.shares) or ZERO, dec(ex.price) or ZERO, utc(ex.time)
        report = fill.commissionReport
        commission = dec(report.commission) if report is not None and report.execId else None
        if commission is not None:
            charges = Charges(commission=commission, source="broker", schedule_version="ibkr-report")
            state = prior or OrderChargeState()
        else:
            charges, state = self.commissions.charges(self.instruments.get(symbol) or equity(symbol), side, qty,
                                                      price, ts, prior)
        return Execution(ex.execId, self._ref_of(ex), symbol, side, qty, price, ts, charges), state

    # -- events from TWS --------------------------------------------------------------------------------
    def _emit(self, event: BrokerEvent) -> None:
        for handler in self._handlers:
            handler(event)

    def _tracked(self, trade: Trade) -> _Tracked | None:
        ref = trade.order.orderRef
        if not ref:
            return None
        tracked = self._orders.get(ref)
        if tracked is None or (tracked.trade is not trade and trade.order.orderId != tracked.trade.order.orderId):
            return None
        return tracked

    def _on_open_order(self, trade: Trade) -> None:
        tracked = self._tracked(trade)
        if tracked is not None and tracked.modify is not None and trade.orderStatus.status in _LIVE:
            self._confirm_modify(tracked)

    def _on_status(self, trade: Trade) -> None:
        tracked = self._tracked(trade)
        if tracked is None:
            return
        status = trade.orderStatus.status
        now = self.clock.now()
        if status in ("PreSubmitted", "Submitted"):
            if not tracked.accepted:
                tracked.accepted = True
                self._disarm(tracked.cid)
                self._emit(OrderAccepted(tracked.cid, now, broker_order_id=str(trade.order.orderId),
                                         perm_id=str(trade.orderStatus.permId or trade.order.permId or "")))
            elif tracked.modify is not None:
                self._confirm_modify(tracked)
        elif status in ("Cancelled", "ApiCancelled", "Inactive"):
            self._disarm(tracked.cid)
            code, text = _last_error(trade)
            rejected = status == "Inactive" or (code is not None and classify(code, text) is Kind.ORDER_REJECTED)
            reason = f"IBKR {code}: {text}" if code is not None else ("inactive at IBKR" if status == "Inactive"
                                                                      else "cancelled at IBKR")
            event: BrokerEvent = OrderRejected(tracked.cid, now, reason) if rejected and not tracked.filled \
                else OrderCancelled(tracked.cid, now, reason)
            if tracked.held:
                tracked.after_fills.append(event)
            else:
                self._emit(event)
            self._resize_children(tracked)

    def _confirm_modify(self, tracked: _Tracked) -> None:
        change = tracked.modify or {}
        tracked.modify = None
        tracked.revision += 1
        if "quantity" in change:
            tracked.quantity = change["quantity"]
        self._emit(OrderModified(tracked.cid, self.clock.now(), quantity=change.get("quantity"),
                                 limit_price=change.get("limit_price"), stop_price=change.get("stop_price"),
                                 revision=tracked.revision))

    def _resize_children(self, parent: _Tracked) -> None:
        """A parent that ends part-filled: its children protect only what filled."""
        if not parent.children or not parent.filled:
            return
        for cid in parent.children:
            child = self._orders.get(cid)
            if child is not None and child.trade.orderStatus.status in _LIVE and child.quantity != parent.filled:
                self.modify(cid, quantity=parent.filled)

    def _on_exec(self, trade: Trade, fill: Fill) -> None:
        ex = fill.execution
        if ex.execId in self._booked:
            return
        tracked = self._orders.get(self._ref_of(ex, trade))
        if tracked is None:
            log.warning("ibkr.foreign_fill", exec_id=ex.execId, order_ref=ex.orderRef, perm_id=ex.permId,
                        note="not an order of this journal: reconciliation reports it")
            return
        if ex.execId in tracked.held:
            return
        self._disarm(tracked.cid)
        if fill.commissionReport is not None and fill.commissionReport.execId:
            self._release(tracked, fill)
            return
        tracked.held[ex.execId] = fill
        wait = self.session.config.commission_wait_seconds
        try:
            asyncio.get_running_loop().call_later(wait, self._release_id, tracked.cid, ex.execId)
        except RuntimeError:
            self._release(tracked, fill)

    def _on_commission(self, trade: Trade, fill: Fill, report: Any) -> None:
        tracked = self._orders.get(self._ref_of(fill.execution, trade))
        if tracked is not None and fill.execution.execId in tracked.held:
            self._release(tracked, fill)

    def _release_id(self, cid: str, exec_id: str) -> None:
        tracked = self._orders.get(cid)
        if tracked is not None and exec_id in tracked.held:
            log.info("ibkr.commission_late", order=cid, exec_id=exec_id, note="modelled charges used")
            self._release(tracked, tracked.held[exec_id])

    def _release(self, tracked: _Tracked, fill: Fill) -> None:
        ex = fill.execution
        tracked.held.pop(ex.execId, None)
        if ex.execId in self._booked:
            return
        execution, tracked.charges = self._execution(fill, tracked.charges)
        self._booked[ex.execId] = execution
        tracked.filled += execution.quantity
        if not tracked.accepted:
            tracked.accepted = True
            self._emit(OrderAccepted(tracked.cid, execution.ts, broker_order_id=str(ex.orderId),
                                     perm_id=str(ex.permId or "")))
        kind = OrderFilled if tracked.filled >= tracked.quantity else OrderPartiallyFilled
        self._emit(kind(tracked.cid, execution.ts, execution))
        if not tracked.held and tracked.after_fills:
            events, tracked.after_fills = tracked.after_fills, []
            for event in events:
                self._emit(event)

    def _ref_of(self, ex: Any, trade: Trade | None = None) -> str:
        """Our client order id of an execution: its ``orderRef``, else that of the order it belongs to (by
        ``permId``, or order id and client id), else a name made of IBKR's ``permId``."""
        if ex.orderRef:
            return str(ex.orderRef)
        candidates = [trade] if trade is not None else []
        candidates += self.ib.trades()
        for t in candidates:
            o = t.order
            if o.orderRef and ((ex.permId and o.permId == ex.permId) or
                               (ex.orderId > 0 and o.orderId == ex.orderId and o.clientId == ex.clientId)):
                return str(o.orderRef)
        return f"ib-perm-{ex.permId}"

    def _disarm(self, cid: str) -> None:
        timer = self._ack_timers.pop(cid, None)
        if timer is not None:
            timer.cancel()

    def _on_error(self, err: IbError) -> None:
        if err.req_id <= 0:
            return
        for tracked in self._orders.values():
            if tracked.trade.order.orderId == err.req_id:
                log.warning("ibkr.order_error", order=tracked.cid, code=err.code, message=err.message)
                if err.kind is Kind.ORDER_REJECTED and tracked.modify is not None and tracked.accepted:
                    tracked.modify = None  # a refused change: the order stands as it was
                return


def _perm(trade: Trade) -> int:
    return int(trade.order.permId or 0)


def _last_error(trade: Trade) -> tuple[int | None, str]:
    """The latest error code and text IBKR attached to the order (its log), if any."""
    for entry in reversed(trade.log):
        if entry.errorCode:
            return int(entry.errorCode), str(entry.message)
    return None, ""
