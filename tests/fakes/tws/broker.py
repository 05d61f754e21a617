"""Order handling of the fake TWS: placement, modification, cancellation, matching, fills and reports.

Mixed into :class:`tests.fakes.tws.server.FakeTws`; every method runs on the fake's event loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from typing import TYPE_CHECKING, Any

from tests.fakes.tws import messages as msg
from tests.fakes.tws.contracts import EASTERN, Instrument, parse_ib_time
from tests.fakes.tws.orders import FakeExecution, FakeOrder, PlaceRequest, parse_place_order
from tests.fakes.tws.wire import to_int

if TYPE_CHECKING:
    from tests.fakes.tws.server import Session

NO_SECDEF = "No security definition has been found for the request"
_REPORT_PRIORITY = {11: 0, 3: 1, 59: 2, 4: 3, 5: 4}


class BrokerMixin:
    """Order book and account ledger behaviour (the broker side of TWS)."""

    # Provided by FakeTws
    _orders: dict[int, FakeOrder]
    executions: list[FakeExecution]
    default_price: float
    duplicate_reports: bool
    out_of_order_reports: bool
    omit_commission: bool
    reject_status: str
    ack_delay: float
    pending_cancel_status: bool

    def _init_broker(self) -> None:
        self._perm_ids = itertools.count(1_000_001)
        self._exec_seq = itertools.count(1)
        self._max_order_id: dict[int, int] = {}
        self._rejects: list[tuple[str, int, str]] = []
        self._policies: dict[str | None, str] = {None: "auto"}
        self._next_partial: tuple[int, float] | None = None
        self._drop_on_place: list[str | None] = []
        self._batch: list[tuple[int, list[list[Any]]]] | None = None

    # ----------------------------------------------------------------- helpers
    if TYPE_CHECKING:  # provided by FakeTws / MarketMixin

        def _send_to_client(self, client_id: int, fields: list[Any]) -> None: ...
        def _session_for(self, client_id: int) -> Session | None: ...
        def _last_price(self, inst: Instrument) -> float | None: ...
        def _now(self) -> dt.datetime: ...
        def _push_account_updates(self, account: str, inst: Instrument) -> None: ...
        def _loop(self) -> asyncio.AbstractEventLoop: ...

    def _ib_time(self) -> str:
        return self._now().astimezone(EASTERN).strftime("%Y%m%d %H:%M:%S US/Eastern")

    def _version_of(self, client_id: int) -> int:
        session = self._session_for(client_id)
        return session.version if session else 178

    def _deliver(self, client_id: int, frames: list[list[Any]]) -> None:
        """Send one order's report batch, applying the reordering/duplication injections."""
        if self._batch is not None:
            self._batch.append((client_id, frames))
            return
        if self.out_of_order_reports:
            frames = sorted(frames, key=lambda f: _REPORT_PRIORITY.get(int(f[0]), 9))
        for fields in frames:
            self._send_to_client(client_id, fields)
            if self.duplicate_reports and int(fields[0]) in {3, 11}:
                self._send_to_client(client_id, fields)

    def _open_and_status(self, o: FakeOrder) -> list[list[Any]]:
        return [msg.open_order(o, self._version_of(o.client_id)), msg.order_status(o)]

    def _find_order(self, client_id: int, order_id: int) -> FakeOrder | None:
        for o in reversed(list(self._orders.values())):
            if o.client_id == client_id and o.order_id == order_id:
                return o
        return None

    def _order_by_id(self, order_id: int) -> FakeOrder:
        for o in reversed(list(self._orders.values())):
            if o.order_id == order_id:
                return o
        raise KeyError(f"no order with id {order_id}")

    def _policy_for(self, inst: Instrument) -> str:
        return self._policies.get(inst.symbol, self._policies.get(None, "auto"))

    def _auto(self, o: FakeOrder) -> bool:
        """Whether the matching engine works the order now (policy "auto" for its symbol, acked)."""
        return o.policy != "never_ack" and self._policy_for(o.instrument) == "auto"

    def next_order_id(self, client_id: int) -> int:
        """The nextValidId answer for ``client_id``."""
        return self._max_order_id.get(client_id, 0) + 1

    # -------------------------------------------------------------- placement
    def _on_place_order(self, session: Session, fields: list[str]) -> None:
        req = parse_place_order(fields, session.version)
        cid = session.client_id or 0
        existing = self._find_order(cid, req.order_id)
        if existing is not None:
            self._modify(existing, req)
            return
        if req.order_id <= self._max_order_id.get(cid, 0):
            self._send_to_client(cid, msg.error(req.order_id, 103, "Duplicate order id"))
            return
        self._max_order_id[cid] = req.order_id
        found = self.refdata.resolve(req.contract)
        if len(found) != 1:
            self._send_to_client(cid, msg.error(req.order_id, 200, NO_SECDEF))
            return
        inst = found[0]
        accounts: tuple[str, ...] = self.accounts
        o = FakeOrder(
            order_id=req.order_id,
            client_id=cid,
            perm_id=next(self._perm_ids),
            instrument=inst,
            action=req.action,
            total_quantity=req.total_quantity,
            order_type=req.order_type,
            lmt_price=req.lmt_price,
            aux_price=req.aux_price,
            tif=req.tif,
            oca_group=req.oca_group,
            oca_type=req.oca_type,
            order_ref=req.order_ref,
            transmit=req.transmit,
            parent_id=req.parent_id,
            outside_rth=req.outside_rth,
            exchange=req.contract.exchange or "SMART",
            account=req.account or accounts[0],
            trail_stop_price=req.trail_stop_price,
            trailing_percent=req.trailing_percent,
            lmt_price_offset=req.lmt_price_offset,
            good_till_date=req.good_till_date,
            policy=self._policy_for(inst),
        )
        if req.what_if:
            self._answer_what_if(o)
            return
        self._orders[o.perm_id] = o
        if self._next_partial is not None:
            o.partial_plan, self._next_partial = self._next_partial, None
        if self._drop_on_place and self._drop_on_place[0] in (None, o.order_ref):
            self._drop_on_place.pop(0)
            session.abort()
        if self._rejects:
            reason, code, advanced = self._rejects.pop(0)
            o.reject_reason = reason
            o.set_status(self.reject_status)
            o.completed_time, o.completed_status = self._ib_time(), f"Rejected: {reason}"
            text = f"Order rejected - reason:{reason}"
            self._deliver(cid, [msg.error(o.order_id, code, text, advanced), msg.order_status(o)])
            return
        if o.policy == "never_ack":
            o.set_status("Submitted")
            return
        if not req.transmit:
            o.staged = True
            return
        self._transmit_chain(o)

    def _answer_what_if(self, o: FakeOrder) -> None:
        px = self._last_price(o.instrument) or self.default_price
        notional = o.total_quantity * px * o.instrument.price_multiplier
        values = self.ledger.values(o.account)
        fee = max(1.0, 0.005 * o.total_quantity)
        fields = msg.what_if_order(o, self._version_of(o.client_id), notional * 0.25, notional * 0.25,
                                   values["EquityWithLoanValue"], fee)
        self._send_to_client(o.client_id, fields)

    def _chain_of(self, o: FakeOrder) -> list[FakeOrder]:
        root_id = o.parent_id or o.order_id
        chain = [x for x in self._orders.values() if x.client_id == o.client_id
                 and (x.order_id == root_id or x.parent_id == root_id) and (x.staged or x is o)]
        return sorted(chain, key=lambda x: (x.parent_id != 0, x.order_id))

    def _transmit_chain(self, o: FakeOrder) -> None:
        for member in self._chain_of(o):
            member.staged = False
            member.transmit = True
            self._accept(member)

    def _parent_of(self, o: FakeOrder) -> FakeOrder | None:
        return self._find_order(o.client_id, o.parent_id) if o.parent_id else None

    def _is_held_child(self, o: FakeOrder) -> bool:
        parent = self._parent_of(o)
        return parent is not None and parent.filled <= 0

    def _accept(self, o: FakeOrder) -> None:
        if not self.out_of_order_reports or self._batch is not None:
            self._accept_now(o)
            return
        # Collect everything the acceptance produces (acks and immediate fills) so that the
        # reordering puts execDetails/orderStatus before openOrder.
        self._batch = []
        try:
            self._accept_now(o)
        finally:
            batch, self._batch = self._batch, None
        by_client: dict[int, list[list[Any]]] = {}
        for client_id, frames in batch:
            by_client.setdefault(client_id, []).extend(frames)
        for client_id, frames in by_client.items():
            self._deliver(client_id, frames)

    def _accept_now(self, o: FakeOrder) -> None:
        o.set_status("PreSubmitted")
        frames = self._open_and_status(o)
        if self._is_held_child(o):
            o.why_held = "child"
            self._deliver(o.client_id, frames)
            return
        if self.ack_delay > 0:
            self._deliver(o.client_id, frames)
            self._loop().call_later(self.ack_delay, self._go_live, o)
            return
        o.set_status("Submitted")
        self._deliver(o.client_id, frames + self._open_and_status(o))
        self._work_new(o)

    def _go_live(self, o: FakeOrder) -> None:
        if not o.is_live:
            return
        o.set_status("Submitted")
        self._deliver(o.client_id, self._open_and_status(o))
        self._work_new(o)

    def _work_new(self, o: FakeOrder) -> None:
        """Try to execute a freshly live order against the current market."""
        if not self._auto(o) or not o.is_live:
            return
        last = self._last_price(o.instrument)
        if o.order_type.startswith("TRAIL") and last is not None:
            o.update_trail(last)
        if last is None and o.order_type == "MKT":
            last = self.default_price
        px = o.fill_price_on_trade(last, resting=False) if last is not None else None
        if o.tif in {"IOC", "FOK"} and px is None:
            self._cancel(o, reason="", code=0)
            return
        if px is not None:
            self._execute(o, px)

    # ------------------------------------------------------------- modify
    def _modify(self, o: FakeOrder, req: PlaceRequest) -> None:
        if not o.is_live:
            state = "filled" if o.status == "Filled" else "cancelled"
            self._send_to_client(o.client_id, msg.error(o.order_id, 104, f"Can't modify a {state} order"))
            return
        o.total_quantity = req.total_quantity
        o.lmt_price, o.aux_price = req.lmt_price, req.aux_price
        o.order_type, o.tif, o.order_ref = req.order_type, req.tif, req.order_ref
        o.outside_rth, o.oca_group, o.oca_type = req.outside_rth, req.oca_group, req.oca_type
        o.trailing_percent, o.lmt_price_offset = req.trailing_percent, req.lmt_price_offset
        if req.trail_stop_price is not None:
            o.trail_stop_price = req.trail_stop_price
        o.triggered = False if not o.order_type.startswith(("STP", "TRAIL")) else o.triggered
        if o.staged:
            if req.transmit:
                self._transmit_chain(o)
            return
        if o.policy == "never_ack":
            return
        self._deliver(o.client_id, self._open_and_status(o))
        if o.filled >= o.total_quantity > 0:
            self._fill_qty(o, 0.0, o.avg_fill_price)
        elif not self._is_held_child(o):
            self._work_new(o)

    # ------------------------------------------------------------- cancel
    def _on_cancel_order(self, session: Session, fields: list[str]) -> None:
        order_id = to_int(fields[2]) if len(fields) > 2 else 0
        cid = session.client_id or 0
        o = self._find_order(cid, order_id)
        if o is None:
            text = f"OrderId {order_id} that needs to be cancelled is not found."
            self._send_to_client(cid, msg.error(order_id, 10147, text))
            return
        if not o.is_live:
            text = f"OrderId {order_id} that needs to be cancelled cannot be cancelled, state: {o.status}."
            self._send_to_client(cid, msg.error(order_id, 10148, text))
            return
        self._cancel(o)

    def _cancel(self, o: FakeOrder, reason: str = "", code: int = 202) -> None:
        """Cancel a live order (client request, exchange, OCA or IOC expiry) and its held children."""
        frames: list[list[Any]] = []
        if self.pending_cancel_status and code == 202:
            o.set_status("PendingCancel")
            frames.append(msg.order_status(o))
        o.set_status("Cancelled")
        o.staged = False
        o.completed_time, o.completed_status = self._ib_time(), reason or "Cancelled by Trader"
        frames.append(msg.order_status(o))
        if code:
            frames.append(msg.error(o.order_id, code, f"Order Canceled - reason:{reason}"))
        self._deliver(o.client_id, frames)
        for child in self._children(o):
            if child.is_live:
                self._cancel(child, reason="parent cancelled", code=code)

    def _children(self, o: FakeOrder) -> list[FakeOrder]:
        if not o.order_id:
            return []
        return [x for x in self._orders.values() if x.client_id == o.client_id and x.parent_id == o.order_id]

    def _on_global_cancel(self, session: Session, fields: list[str]) -> None:
        for o in list(self._orders.values()):
            if o.is_live:
                self._cancel(o)

    # -------------------------------------------------------------- matching
    def _work_orders_on_trade(self, inst: Instrument, price: float) -> None:
        """Let resting orders of ``inst`` react to a trade at ``price``."""
        for o in list(self._orders.values()):
            if o.instrument.con_id != inst.con_id or not o.is_live or o.staged or not self._auto(o):
                continue
            if o.status not in {"Submitted", "PreSubmitted"} or self._is_held_child(o):
                continue
            if o.order_type.startswith("TRAIL") and o.update_trail(price) and not o.triggered:
                self._deliver(o.client_id, self._open_and_status(o))
            px = o.fill_price_on_trade(price, resting=True)
            if px is not None:
                self._execute(o, px)

    def _execute(self, o: FakeOrder, price: float) -> None:
        plan, o.partial_plan = o.partial_plan, None
        if not plan or plan[0] <= 1:
            self._fill_qty(o, o.remaining, price)
            return
        parts, spacing = plan
        remaining = o.remaining
        base = max(float(int(remaining / parts)), 1.0)
        sizes = [base] * (parts - 1)
        sizes.append(remaining - sum(sizes))
        self._fill_qty(o, sizes[0], price)
        for i, size in enumerate(sizes[1:], start=1):
            self._loop().call_later(spacing * i, self._fill_qty, o, size, price)

    def _fill_qty(self, o: FakeOrder, qty: float, price: float) -> None:
        """Execute ``qty`` of ``o`` at ``price`` and report it (execDetails, orderStatus, commission)."""
        if not o.is_live:
            return
        qty = min(qty, o.remaining)
        frames: list[list[Any]] = []
        e: FakeExecution | None = None
        if qty > 0:
            signed = qty if o.is_buy else -qty
            fee = round(max(1.0, 0.005 * qty), 6)
            pnl = self.ledger.apply_fill(o.account, o.instrument, signed, price, fee)
            o.avg_fill_price = (o.avg_fill_price * o.filled + price * qty) / (o.filled + qty)
            o.filled += qty
            o.last_fill_price = price
            now = self._now()
            e = FakeExecution(
                exec_id=f"0000e0d5.{int(now.timestamp()):08x}.01.{next(self._exec_seq):02d}",
                order_id=o.order_id,
                client_id=o.client_id,
                perm_id=o.perm_id,
                instrument=o.instrument,
                account=o.account,
                side="BOT" if o.is_buy else "SLD",
                shares=qty,
                price=price,
                cum_qty=o.filled,
                avg_price=round(o.avg_fill_price, 8),
                order_ref=o.order_ref if self.exec_order_ref else "",
                time=self._ib_time(),
                epoch=now.timestamp(),
                exchange=o.instrument.primary or o.instrument.exchange,
                commission=fee,
                realized_pnl=pnl or None,
                order_exchange=o.exchange,
            )
            o.executions.append(e)
            self.executions.append(e)
            frames.append(msg.exec_details(-1, e, self._version_of(o.client_id)))
        done = o.filled >= o.total_quantity - 1e-9
        o.set_status("Filled" if done else "Submitted")
        frames.append(msg.order_status(o))
        if e is not None and not self.omit_commission:
            frames.append(msg.commission_report(e))
        if done:
            o.completed_time, o.completed_status = self._ib_time(), f"Filled Size: {o.filled:g}"
            frames.append(msg.open_order(o, self._version_of(o.client_id)))
        self._deliver(o.client_id, frames)
        if qty > 0:
            self._after_fill(o, qty)
            self._push_account_updates(o.account, o.instrument)

    def _after_fill(self, o: FakeOrder, qty: float) -> None:
        """Activate/resize bracket children and apply OCA rules."""
        for child in self._children(o):
            if not child.is_live:
                continue
            was_held = bool(child.why_held)
            child.total_quantity = o.filled
            child.why_held = ""
            if was_held:
                child.set_status("Submitted")
            self._deliver(child.client_id, self._open_and_status(child))
            if was_held:
                self._work_new(child)
        siblings: list[tuple[FakeOrder, bool]] = []
        if o.parent_id:
            siblings += [(x, False) for x in self._orders.values() if x.client_id == o.client_id
                         and x.parent_id == o.parent_id and x is not o and x.is_live]
        if o.oca_group:
            siblings += [(x, x.oca_type == 1 or o.oca_type == 1) for x in self._orders.values()
                         if x.oca_group == o.oca_group and x is not o and x.is_live and x.account == o.account]
        seen: set[int] = set()
        for x, cancel_all in siblings:
            if x.perm_id in seen or not x.is_live:
                continue
            seen.add(x.perm_id)
            if cancel_all or x.total_quantity - qty <= x.filled + 1e-9:
                self._cancel(x, reason="OCA group cancel")
            else:
                x.total_quantity -= qty
                self._deliver(x.client_id, self._open_and_status(x))

    # --------------------------------------------------------- startup answers
    def _live_orders_for(self, client_id: int | None) -> list[FakeOrder]:
        return [o for o in self._orders.values()
                if o.is_live and not o.staged and (client_id is None or o.client_id == client_id)]

    def _send_open_orders(self, session: Session, client_id: int | None) -> None:
        for o in self._live_orders_for(client_id):
            session.send(msg.open_order(o, session.version))
            session.send(msg.order_status(o))
        session.send([53, 1])

    def _on_req_open_orders(self, session: Session, fields: list[str]) -> None:
        self._send_open_orders(session, session.client_id)

    def _on_req_all_open_orders(self, session: Session, fields: list[str]) -> None:
        self._send_open_orders(session, None)

    def _on_req_completed_orders(self, session: Session, fields: list[str]) -> None:
        for o in self._orders.values():
            if not o.is_live:
                session.send(msg.completed_order(o, session.version))
        session.send([102])

    def _on_req_executions(self, session: Session, fields: list[str]) -> None:
        f = fields + [""] * 10
        req_id, client_id, account, since, symbol, sec_type, exchange, side = (
            to_int(f[2]), to_int(f[3]), f[4], f[5], f[6], f[7], f[8], f[9])
        when = parse_ib_time(since)
        threshold = when.timestamp() if when else None
        for e in self.executions:
            if client_id and e.client_id != client_id:
                continue
            if (account and e.account != account) or (symbol and e.instrument.symbol != symbol):
                continue
            if (sec_type and e.instrument.sec_type != sec_type) or (exchange and e.exchange != exchange):
                continue
            if side and {"BUY": "BOT", "SELL": "SLD"}.get(side.upper(), side.upper()) != e.side:
                continue
            if threshold is not None and e.epoch < threshold:
                continue
            session.send(msg.exec_details(req_id, e, session.version))
            session.send(msg.commission_report(e))
        session.send([55, 1, req_id])

    def _on_req_ids(self, session: Session, fields: list[str]) -> None:
        session.send([9, 1, self.next_order_id(session.client_id or 0)])
