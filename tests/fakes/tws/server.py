"""The fake TWS / IB Gateway server: listening socket, sessions, startup answers, hooks and observability."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from tests.fakes.tws import messages as msg
from tests.fakes.tws.broker import BrokerMixin
from tests.fakes.tws.contracts import EASTERN, Instrument, ReferenceData
from tests.fakes.tws.ledger import ACCOUNT_TAGS, Ledger
from tests.fakes.tws.market import MarketMixin
from tests.fakes.tws.orders import FakeExecution, FakeOrder
from tests.fakes.tws.session import Session
from tests.fakes.tws.sync import threadsafe
from tests.fakes.tws.wire import Frame, to_int

FARM_NOTICES = {
    "md_ok": (2104, "Market data farm connection is OK:usfarm"),
    "md_broken": (2103, "Market data farm connection is broken:usfarm"),
    "md_inactive": (2108, "Market data farm connection is inactive but should be available upon demand.usfarm"),
    "hmds_ok": (2106, "HMDS data farm connection is OK:ushmds"),
    "hmds_broken": (2105, "HMDS data farm connection is broken:ushmds"),
    "secdef_ok": (2158, "Sec-def data farm connection is OK:secdefnj"),
    "secdef_broken": (2157, "Sec-def data farm connection is broken:secdefnj"),
    "ib_broken": (2110, "Connectivity between Trader Workstation and server is broken. "
                        "It will be restored automatically."),
    "live_updates_failed": (10182, "Failed to request live updates (disconnected)."),
}


class FakeTws(BrokerMixin, MarketMixin):
    """A loopback TWS speaking the text API protocol (server versions 157..178) to ib_async.

    The book state (orders, executions, positions, cash) survives client reconnects and restarts.
    """

    def __init__(
        self,
        accounts: tuple[str, ...] = ("DU1234567",),
        server_version: int = 178,
        *,
        cash: float = 1_000_000.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.accounts = tuple(accounts)
        self.server_version = server_version
        self.strict_version = False
        self.host = host
        self.port = port
        self.tz = EASTERN
        self.refdata = ReferenceData()
        self.ledger = Ledger(self.accounts, cash, self._mark_price)
        self._orders: dict[int, FakeOrder] = {}
        self.executions: list[FakeExecution] = []
        self.frames: list[Frame] = []
        self.handshakes: list[tuple[int, int, str]] = []
        self.errors: list[Exception] = []  # exceptions raised by handlers (should stay empty)
        self.unhandled: list[list[str]] = []  # inbound frames with no handler
        self.connect_count = 0
        self.sessions: list[Session] = []
        # order-flow injections
        self.default_price = 100.0
        self.duplicate_reports = False
        self.out_of_order_reports = False
        self.omit_commission = False
        self.exec_order_ref = True  # False: executions leave orderRef empty (some TWS builds do)
        self.reject_status = "Cancelled"
        self.ack_delay = 0.0
        self.pending_cancel_status = False
        # connection injections
        self.silent = False
        self.stalled = False
        self.split_frames = False
        self.coalesce = False
        self.rate_limit = 0
        self.handshake_delay = 0.0
        self.farm_notices_on_connect = True
        self._drop_after: int | None = None
        self._client_id_in_use = 0
        self._refusing_until = 0.0
        # clock
        self._frozen: dt.datetime | None = None
        self._offset = 0.0
        # runtime
        self._server: asyncio.base_events.Server | None = None
        self._loop_ref: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._waiters: list[tuple[Callable[[Frame], bool], asyncio.Future[Frame]]] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._init_broker()
        self._init_market()

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> FakeTws:
        """Bind 127.0.0.1 (port 0 = any free port; see ``self.port``) and start serving."""
        self._loop_ref = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        await self._listen()
        self._start_market_timer()
        return self

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close every connection and the listening socket."""
        for session in list(self.sessions):
            session.abort()
        if self._server is not None:
            self._server.close()
            self._server = None
        self._stop_market_timer()
        tasks = [t for t in self._tasks if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=2)

    def _loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop_ref is not None, "FakeTws.start() first"
        return self._loop_ref

    def _spawn(self, coro: Any) -> None:
        task = self._loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if time.monotonic() < self._refusing_until:
            writer.transport.abort()
            return
        self.connect_count += 1
        session = Session(self, reader, writer)
        self.sessions.append(session)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await session.run()
        except asyncio.CancelledError:
            pass
        finally:
            if task is not None:
                self._tasks.discard(task)

    def session_closed(self, session: Session) -> None:
        """Forget a closed connection and its subscriptions."""
        if session in self.sessions:
            self.sessions.remove(session)
        self._drop_subscriptions(session)

    # -------------------------------------------------------------------- clock
    def now(self) -> dt.datetime:
        """The fake's clock (UTC): wall time, or the frozen time set by :meth:`set_time`."""
        if self._frozen is not None:
            return self._frozen
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self._offset)

    _now = now

    @threadsafe
    def set_time(self, when: dt.datetime | None) -> None:
        """Freeze the clock at ``when`` (aware datetime) or unfreeze it with None."""
        self._frozen = when.astimezone(dt.UTC) if when is not None else None

    @threadsafe
    def advance(self, seconds: float) -> None:
        """Move the clock forward (frozen or not); completed real-time bars are emitted."""
        if self._frozen is not None:
            self._frozen += dt.timedelta(seconds=seconds)
        else:
            self._offset += seconds
        self._emit_due_bars()

    # ----------------------------------------------------------------- observability
    def record(self, direction: str, client_id: int | None, fields: list[Any]) -> None:
        """Append a frame to ``frames`` and wake matching waiters."""
        frame = Frame(direction, time.monotonic(), client_id, [str(f) if f is not None else "" for f in fields])
        self.frames.append(frame)
        for pred, fut in list(self._waiters):
            if not fut.done() and pred(frame):
                fut.set_result(frame)
                self._waiters.remove((pred, fut))

    def count_out_frame(self) -> None:
        """Count towards ``drop_after_frames``."""
        if self._drop_after is not None:
            self._drop_after -= 1
            if self._drop_after <= 0:
                self._drop_after = None
                self._loop().call_soon(self._drop_now)

    def mark(self) -> int:
        """Index of the next frame; pass as ``since`` to wait for frames after now only."""
        return len(self.frames)

    async def wait_for(
        self,
        msg_id: int,
        predicate: Callable[[list[str]], bool] | None = None,
        timeout: float = 5.0,
        direction: str = "in",
        since: int = 0,
    ) -> Frame:
        """Wait for (or find among the frames since index ``since``) a frame with this message id."""

        def match(frame: Frame) -> bool:
            if frame.direction != direction or frame.msg_id != msg_id:
                return False
            return predicate is None or predicate(frame.fields)

        for frame in self.frames[since:]:
            if match(frame):
                return frame
        fut: asyncio.Future[Frame] = self._loop().create_future()
        self._waiters.append((match, fut))
        try:
            return await asyncio.wait_for(fut, timeout)
        finally:
            if (match, fut) in self._waiters:
                self._waiters.remove((match, fut))

    def wait_for_sync(self, msg_id: int, *args: Any, **kwargs: Any) -> Frame:
        """Blocking :meth:`wait_for` (same arguments) for threads other than the fake's loop."""
        timeout = kwargs.get("timeout", args[1] if len(args) > 1 else 5.0)
        coro = self.wait_for(msg_id, *args, **kwargs)
        return asyncio.run_coroutine_threadsafe(coro, self._loop()).result(timeout + 1)

    def received(self, msg_id: int) -> list[list[str]]:
        """Field lists of every inbound frame with this message id."""
        return [f.fields for f in list(self.frames) if f.direction == "in" and f.msg_id == msg_id]

    def sent(self, msg_id: int) -> list[list[str]]:
        """Field lists of every outbound frame with this message id."""
        return [f.fields for f in list(self.frames) if f.direction == "out" and f.msg_id == msg_id]

    @property
    def orders(self) -> dict[int, FakeOrder]:
        """orderId -> order (the latest order when several clients reused an id)."""
        return {o.order_id: o for o in self._orders.values()}

    @property
    def all_orders(self) -> list[FakeOrder]:
        """Every order in placement order (incl. stray incarnations)."""
        return list(self._orders.values())

    @property
    def clients(self) -> list[int]:
        """Client ids of the connections that completed startApi."""
        return [s.client_id for s in self.sessions if s.client_id is not None and not s.closed]

    @threadsafe
    def positions(self, account: str | None = None) -> dict[str, tuple[float, float]]:
        """symbol -> (quantity, average cost) for ``account`` (default: the first one)."""
        acct = account or self.accounts[0]
        return {h.instrument.symbol: (h.quantity, h.avg_cost) for h in self.ledger.positions(acct)}

    @threadsafe
    def account_values(self, account: str | None = None) -> dict[str, float]:
        """The USD account values the fake reports."""
        return self.ledger.values(account or self.accounts[0])

    # --------------------------------------------------------------------- sending
    def _session_for(self, client_id: int) -> Session | None:
        for s in self.sessions:
            if s.client_id == client_id and not s.closed and s.ready:
                return s
        return None

    def _send_to_client(self, client_id: int, fields: list[Any]) -> None:
        session = self._session_for(client_id)
        if session is not None:
            session.send(fields)

    def _broadcast(self, fields: list[Any]) -> None:
        for s in list(self.sessions):
            if s.ready:
                s.send(fields)

    # ---------------------------------------------------------------------- dispatch
    def dispatch(self, session: Session, fields: list[str]) -> None:
        """Route one inbound frame to its handler."""
        msg_id = to_int(fields[0], -1)
        if session.client_id is None and msg_id != 71:
            return
        handler = self._handlers().get(msg_id)
        if handler is None:
            self.unhandled.append(fields)
            return
        try:
            handler(session, fields)
        except Exception as exc:  # a bug in the fake must not look like a TWS disconnect
            self.errors.append(exc)
            traceback.print_exc()

    def _handlers(self) -> dict[int, Callable[[Session, list[str]], None]]:
        return {
            71: self._on_start_api,
            3: self._on_place_order,
            4: self._on_cancel_order,
            5: self._on_req_open_orders,
            6: self._on_req_account_updates,
            7: self._on_req_executions,
            8: self._on_req_ids,
            15: self._on_req_auto_open_orders,
            16: self._on_req_all_open_orders,
            17: lambda s, f: s.send([15, 1, ",".join(self.accounts)]),
            49: lambda s, f: s.send([49, 1, int(self.now().timestamp())]),
            58: self._on_global_cancel,
            59: self._on_req_market_data_type,
            61: self._on_req_positions,
            62: self._on_req_account_summary,
            63: lambda s, f: None,
            64: self._on_cancel_positions,
            76: self._on_req_account_updates_multi,
            77: lambda s, f: s.multi_subs.pop(to_int(f[2]), None),
            99: self._on_req_completed_orders,
            **self._market_handlers(),
        }

    def _on_start_api(self, session: Session, fields: list[str]) -> None:
        cid = to_int(fields[2]) if len(fields) > 2 else 0
        in_use = any(s is not session and s.client_id == cid and not s.closed for s in self.sessions)
        session.client_id = cid
        if self._client_id_in_use > 0 or in_use:
            self._client_id_in_use = max(self._client_id_in_use - 1, 0)
            session.send(msg.error(-1, 326, "Unable to connect as the client id is already in use. "
                                            "Retry with a unique client id."))
            session.client_id = None
            self._spawn(session.close_after_flush())
            return
        session.ready = True
        session.send([15, 1, ",".join(self.accounts)])
        session.send([9, 1, self.next_order_id(cid)])
        if self.farm_notices_on_connect:
            for key in ("md_ok", "hmds_ok", "secdef_ok"):
                code, text = FARM_NOTICES[key]
                session.send(msg.error(-1, code, text))

    def _on_req_auto_open_orders(self, session: Session, fields: list[str]) -> None:
        session.auto_bind = len(fields) > 2 and fields[2] == "1"

    def _on_req_market_data_type(self, session: Session, fields: list[str]) -> None:
        session.md_type = to_int(fields[2], 1) if len(fields) > 2 else 1

    # ----------------------------------------------------------------- account answers
    def _on_req_positions(self, session: Session, fields: list[str]) -> None:
        session.positions_sub = True
        for account in self.ledger.holdings:
            for h in self.ledger.positions(account):
                session.send(msg.position(account, h.instrument, h.quantity, h.avg_cost))
        session.send([62, 1])

    def _on_cancel_positions(self, session: Session, fields: list[str]) -> None:
        session.positions_sub = False

    def _account_rows(self, account: str) -> list[tuple[str, str, str]]:
        rows = [("AccountCode", account, ""), ("AccountType", "INDIVIDUAL", ""), ("Currency", "USD", "USD")]
        values = self.ledger.values(account)
        rows += [(tag, f"{values[tag]:.2f}", "USD") for tag in ACCOUNT_TAGS]
        rows += [("CashBalance", f"{self.ledger.cash.get(account, 0.0):.2f}", "USD"),
                 ("CashBalance", f"{self.ledger.cash.get(account, 0.0):.2f}", "BASE")]
        return rows

    def _on_req_account_updates(self, session: Session, fields: list[str]) -> None:
        account = fields[3] if len(fields) > 3 and fields[3] else self.accounts[0]
        if len(fields) > 2 and fields[2] == "0":
            session.account_subs.discard(account)
            return
        session.account_subs.add(account)
        self._send_account_download(session, account)

    def _send_account_download(self, session: Session, account: str) -> None:
        for key, value, currency in self._account_rows(account):
            session.send([6, 2, key, value, currency, account])
        for h in self.ledger.positions(account):
            session.send(msg.portfolio(h.instrument, h.quantity, self.ledger.price(h), h.avg_cost, h.realized, account))
        session.send([8, 1, self.now().astimezone(self.tz).strftime("%H:%M")])
        session.send([54, 1, account])

    def _on_req_account_updates_multi(self, session: Session, fields: list[str]) -> None:
        f = fields + [""] * 6
        req_id, account, model = to_int(f[2]), f[3] or self.accounts[0], f[4]
        session.multi_subs[req_id] = account
        for key, value, currency in self._account_rows(account):
            session.send([73, 1, req_id, account, model, key, value, currency])
        session.send([74, 1, req_id])

    def _on_req_account_summary(self, session: Session, fields: list[str]) -> None:
        f = fields + [""] * 5
        req_id, tags = to_int(f[2]), {t.strip() for t in f[4].split(",") if t.strip()}
        for account in self.accounts:
            values = self.ledger.values(account)
            if "AccountType" in tags:
                session.send([63, 1, req_id, account, "AccountType", "INDIVIDUAL", ""])
            for tag in ACCOUNT_TAGS:
                if tag in tags:
                    session.send([63, 1, req_id, account, tag, f"{values[tag]:.2f}", "USD"])
            if any(t.startswith("$LEDGER") for t in tags):
                cash = f"{self.ledger.cash.get(account, 0.0):.2f}"
                for tag, value in (("CashBalance", cash), ("TotalCashBalance", cash),
                                   ("NetLiquidationByCurrency", f"{values['NetLiquidation']:.2f}")):
                    session.send([63, 1, req_id, account, tag, value, "BASE"])
                    session.send([63, 1, req_id, account, tag, value, "USD"])
        session.send([64, 1, req_id])

    def _push_account_updates(self, account: str, inst: Instrument) -> None:
        """After a fill: position/portfolio/account-value updates to the subscribed connections."""
        holding = self.ledger.holdings.get(account, {}).get(inst.con_id)
        qty = holding.quantity if holding else 0.0
        avg = holding.avg_cost if holding else 0.0
        for s in list(self.sessions):
            if not s.ready:
                continue
            if s.positions_sub:
                s.send(msg.position(account, inst, qty, avg))
            if account in s.account_subs:
                for key, value, currency in self._account_rows(account):
                    s.send([6, 2, key, value, currency, account])
                price = self.ledger.price(holding) if holding else 0.0
                s.send(msg.portfolio(inst, qty, price, avg, holding.realized if holding else 0.0, account))
                s.send([8, 1, self.now().astimezone(self.tz).strftime("%H:%M")])
            for req_id, acct in list(s.multi_subs.items()):
                if acct == account:
                    for key, value, currency in self._account_rows(account):
                        s.send([73, 1, req_id, account, "", key, value, currency])

    def _mark_price(self, inst: Instrument) -> float | None:
        return self._last_price(inst)

    # ----------------------------------------------------------- connection hooks
    def _drop_now(self) -> None:
        for session in list(self.sessions):
            session.abort()

    @threadsafe
    def drop(self) -> None:
        """Close every client socket now."""
        self._drop_now()

    @threadsafe
    def drop_after_frames(self, n: int) -> None:
        """Close every client socket after ``n`` more outgoing frames."""
        self._drop_after = n

    @threadsafe
    def refuse(self, seconds: float) -> None:
        """Stop listening (connection refused) for ``seconds``."""
        self._refusing_until = time.monotonic() + seconds
        if self._server is not None:
            self._server.close()
            self._server = None
            self._spawn(self._relisten(seconds))

    async def _relisten(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        for _ in range(50):
            try:
                await self._listen()
                return
            except OSError:
                await asyncio.sleep(0.1)

    @threadsafe
    def restart(self, down_seconds: float) -> None:
        """Nightly reset: close every socket and refuse connections for ``down_seconds`` (book kept)."""
        self._drop_now()
        self.refuse(down_seconds)

    @threadsafe
    def stall(self) -> None:
        """Half-open: keep the sockets but stop sending and answering."""
        self.stalled = True

    @threadsafe
    def unstall(self) -> None:
        """End :meth:`stall`."""
        self.stalled = False

    @threadsafe
    def delay_handshake(self, seconds: float) -> None:
        """Delay the handshake answer (and so managedAccounts/nextValidId) by ``seconds``."""
        self.handshake_delay = seconds

    @threadsafe
    def client_id_in_use(self, times: int = 1) -> None:
        """The next ``times`` connections get error 326 and are closed."""
        self._client_id_in_use = times

    @threadsafe
    def connectivity_lost(self) -> None:
        """Error 1100 to every client."""
        self._broadcast(msg.error(-1, 1100, "Connectivity between IB and Trader Workstation has been lost."))

    @threadsafe
    def connectivity_restored(self, data_lost: bool) -> None:
        """Error 1101 (market data subscriptions dropped server-side) or 1102 to every client."""
        if data_lost:
            self._drop_subscriptions(None)
            text = "Connectivity between IB and Trader Workstation has been restored - data lost."
            self._broadcast(msg.error(-1, 1101, text))
        else:
            text = "Connectivity between IB and Trader Workstation has been restored - data maintained."
            self._broadcast(msg.error(-1, 1102, text))

    @threadsafe
    def farm(self, status: str | int, message: str | None = None) -> None:
        """Send a farm notice: a key of FARM_NOTICES (e.g. "md_broken", "hmds_ok") or a raw code."""
        if isinstance(status, int):
            code, text = status, message or ""
        else:
            code, text = FARM_NOTICES[status]
        self._broadcast(msg.error(-1, code, message or text))

    @threadsafe
    def send_error(self, req_id: int, code: int, message: str, json: str = "", client_id: int | None = None) -> None:
        """Send an error (4) to one client or to all of them."""
        fields = msg.error(req_id, code, message, json)
        if client_id is None:
            self._broadcast(fields)
        else:
            self._send_to_client(client_id, fields)

    # ------------------------------------------------------------ order controls
    @threadsafe
    def fill(self, order_id: int, qty: float | None = None, price: float | None = None) -> None:
        """Fill (part of) an order now; default all of the remainder at its limit or the last price."""
        o = self._order_by_id(order_id)
        px = price if price is not None else (o.lmt_price or self._last_price(o.instrument) or self.default_price)
        o.staged = False
        self._fill_qty(o, o.remaining if qty is None else qty, px)

    @threadsafe
    def exchange_cancel(self, order_id: int, reason: str = "") -> None:
        """Unsolicited cancel by the exchange: Cancelled + error 202."""
        o = self._order_by_id(order_id)
        if o.is_live:
            self._cancel(o, reason=reason)

    @threadsafe
    def reject_next(self, reason: str = "Rejected by the fake", code: int = 201, json: str = "") -> None:
        """Reject the next placed order with ``code`` (201) then Cancelled (or ``reject_status``)."""
        self._rejects.append((reason, code, json))

    @threadsafe
    def order_policy(self, symbol: str | None, policy: str) -> None:
        """"auto" (fill when marketable), "accept_only" (ack, never fill) or "never_ack" (silently booked)."""
        assert policy in {"auto", "accept_only", "never_ack"}, policy
        self._policies[symbol] = policy

    @threadsafe
    def partial_fills(self, n: int, spacing_s: float = 0.05) -> None:
        """Fill the next placed order in ``n`` parts ``spacing_s`` seconds apart."""
        self._next_partial = (n, spacing_s)

    @threadsafe
    def drop_on_place(self, order_ref: str | None = None) -> None:
        """On the next placeOrder (with this orderRef) book the order, then close the socket before any ack."""
        self._drop_on_place.append(order_ref)

    @threadsafe
    def set_position(self, account: str, symbol: str, qty: float, avg_cost: float) -> None:
        """Force a position the client never traded."""
        inst = self.refdata.by_symbol(symbol) or self.add_stock(symbol)
        self.ledger.set_position(account, inst, qty, avg_cost)

    @threadsafe
    def add_stray_incarnation(self, order_ref: str) -> FakeOrder:
        """A second live order (new orderId and permId, same clientId and orderRef) next to the first one."""
        original = next(o for o in reversed(list(self._orders.values())) if o.order_ref == order_ref)
        new_id = self.next_order_id(original.client_id)
        self._max_order_id[original.client_id] = new_id
        stray = FakeOrder(**{**original.__dict__, "order_id": new_id, "perm_id": next(self._perm_ids),
                             "executions": [], "history": [], "filled": 0.0, "avg_fill_price": 0.0,
                             "last_fill_price": 0.0, "status": "Submitted", "staged": False, "parent_id": 0})
        self._orders[stray.perm_id] = stray
        self._deliver(stray.client_id, self._open_and_status(stray))
        return stray
