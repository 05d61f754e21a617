"""The connection to TWS / IB Gateway: connect with back-off, check the account, watch the link, reconnect.

One :class:`IbkrSession` owns the ``ib_async.IB`` client and runs on the engine's asyncio loop, so broker
events reach the node on the same thread that feeds it market data. What it guarantees:

* **connect with back-off**: refused connections, time-outs and error 326 (client id still in use after a
  restart) are retried with the same client id, the wait doubling from ``reconnect_initial_seconds`` up to
  ``reconnect_max_seconds``;
* **the account check**: the configured account must be among the managed accounts; an account that is
  not a paper account (``DU...``) is traded only when the run says ``--live`` *and* the config names it;
* **link state**: 1100 (TWS lost IB's servers) refuses new orders until 1101/1102; 1101 means the
  market-data subscriptions are gone and the ``on_data_lost`` hooks resubscribe; farm notices
  (2103/2104/2105/2106/2157/2158/10182) are logged and never touch the order connection;
* **liveness**: ``ib_async`` notices a closed socket but not a silent one, so ``reqCurrentTime`` probes the
  link; no answer within the request timeout closes it and reconnects;
* **after every (re)connect** the ``on_ready`` hooks run (the broker resynchronises and reconciles before
  anything is traded, the market data resubscribes);
* **down for good**: after ``down_alert_seconds`` without a connection, health turns red and an alert goes
  out; every new order is refused with the reason (never trading blind) while the session keeps trying;
* **the daily restart** of TWS / IB Gateway (``daily_restart``, exchange time): new orders are refused from
  ``restart_guard_before_seconds`` before it until ``restart_guard_after_seconds`` after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from ib_async import IB

from theo.adapters.ibkr.config import IbkrConfig
from theo.adapters.ibkr.errors import IbError, Kind
from theo.core.calendar.sessions import ET as EXCHANGE_TZ
from theo.core.errors import ConfigError
from theo.core.logging import get_logger

log = get_logger("theo.ibkr")
# ib_async narrates every message at INFO; Theo logs what matters itself (its warnings and errors still show).
logging.getLogger("ib_async").setLevel(logging.WARNING)

AlertHandler = Callable[[str, str], None]  # level (info | warning | critical), text
ReadyHook = Callable[[bool], Awaitable[None]]  # argument: True on a reconnect
ErrorHandler = Callable[[IbError], None]


class Link(StrEnum):
    DOWN = "down"  # no socket
    CONNECTING = "connecting"
    READY = "ready"  # connected, synchronised, reconciled
    LOST = "lost"  # socket up, TWS lost IB's servers (1100)
    CLOSED = "closed"  # stopped on purpose


class AccountError(ConfigError):
    """The managed accounts do not allow this run (wrong account, or a live account without ``--live``)."""


def choose_account(managed: list[str], configured: str, live: bool, *, trading: bool = True) -> str:
    """The account to trade among ``managed``; refuse a live account unless ``live`` and named in the config
    (``trading=False``: a look-only session may read any account)."""
    accounts = [a.strip().upper() for a in managed if a.strip()]
    if configured:
        if configured not in accounts:
            raise AccountError(f"[execution.ibkr] account = {configured!r} is not among the accounts this TWS login "
                               f"manages ({', '.join(accounts) or 'none'}); set it to one of them")
        account = configured
    elif len(accounts) == 1:
        account = accounts[0]
    else:
        raise AccountError(f"this TWS login manages {len(accounts)} accounts ({', '.join(accounts)}); name the one "
                           f"to trade in [execution.ibkr] account")
    if trading and not account.startswith("DU") and not (live and configured == account):
        raise AccountError(f"account {account} is a live (real-money) account; Theo trades it only with "
                           f"`theo run --broker ibkr --live` and [execution.ibkr] account = \"{account}\" in the "
                           f"config. Log TWS / IB Gateway into the paper account (DU...) to paper-trade")
    return account


def restart_window(now: datetime, cfg: IbkrConfig) -> tuple[datetime, datetime] | None:
    """The daily-restart guard window (UTC) that contains ``now``, or ``None``."""
    if cfg.daily_restart is None:
        return None
    local = now.astimezone(EXCHANGE_TZ)
    for day in (local.date() - timedelta(days=1), local.date(), local.date() + timedelta(days=1)):
        at = datetime.combine(day, cfg.daily_restart, tzinfo=EXCHANGE_TZ).astimezone(UTC)
        start = at - timedelta(seconds=cfg.restart_guard_before_seconds)
        end = at + timedelta(seconds=cfg.restart_guard_after_seconds)
        if start <= now < end:
            return start, end
    return None


class IbkrSession:
    """The supervised connection (see the module docstring)."""

    def __init__(self, config: IbkrConfig, *, live: bool = False, on_alert: AlertHandler | None = None,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC), readonly: bool = False) -> None:
        """``readonly``: a look-only session (no orders; TWS's open orders are not fetched)."""
        self.config = config
        self.live = live
        self.readonly = readonly
        self.ib = IB()
        self.ib.RequestTimeout = config.request_timeout_seconds
        self.ib.client.MaxRequests = config.max_messages_per_second
        self.ib.TimezoneTWS = config.tws_timezone  # for times TWS sends without a zone
        self.now = now
        self.on_alert = on_alert
        self.link = Link.DOWN
        self.since: datetime = now()  # when the link entered its state
        self.down_since: datetime | None = self.since  # when the link stopped being ready (None while ready)
        self.account = ""
        self.accounts: list[str] = []
        self.server_version = 0
        self.reconnects = 0
        self.last_error = ""
        self.errors: list[IbError] = []  # the latest errors (bounded), for `theo ib check` and the tests
        self.on_ready: list[ReadyHook] = []
        self.on_data_lost: list[Callable[[], Awaitable[None]]] = []
        self.on_error: list[ErrorHandler] = []
        self._down_alerted = False
        self._dropped = asyncio.Event()
        self._stop = asyncio.Event()
        self._connecting = False
        self._id_in_use = False
        self._ever_ready = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self.ib.errorEvent += self._on_error
        self.ib.disconnectedEvent += self._on_disconnected

    # -- state -------------------------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return self.link is Link.READY

    def refusal(self) -> str:
        """Why a new order cannot go out now ('' when it can)."""
        now = self.now()
        if self.link is not Link.READY:
            since = (self.down_since or self.since).astimezone(EXCHANGE_TZ).strftime("%Y-%m-%d %H:%M:%S %Z")
            what = {Link.LOST: "TWS lost its connection to IBKR's servers (1100)",
                    Link.CLOSED: "the IBKR session is closed"}.get(self.link, "not connected to TWS / IB Gateway")
            detail = f": {self.last_error}" if self.last_error and self.link is Link.DOWN else ""
            return f"{what} since {since}{detail}; no order is sent until the connection is back and reconciled"
        window = restart_window(now, self.config)
        if window is not None:
            a, b = (t.astimezone(EXCHANGE_TZ).strftime("%H:%M:%S") for t in window)
            return (f"inside TWS / IB Gateway's daily restart window ({a}-{b} ET, [execution.ibkr] daily_restart); "
                    f"new orders are refused until it is over")
        return ""

    def health(self) -> dict[str, Any]:
        """The link for health checks: green when ready, red when down longer than ``down_alert_seconds``."""
        down_for = self._down_for()
        colour = "green" if self.link is Link.READY else (
            "red" if down_for >= self.config.down_alert_seconds else "amber")
        return {"link": self.link.value, "status": colour, "since": self.since.isoformat(), "account": self.account,
                "server_version": self.server_version, "reconnects": self.reconnects, "error": self.last_error,
                "host": self.config.host, "port": self.config.port, "client_id": self.config.client_id}

    def _down_for(self) -> float:
        """Seconds since the link stopped being ready (0 while it is ready)."""
        if self.link is Link.READY or self.down_since is None:
            return 0.0
        return (self.now() - self.down_since).total_seconds()

    def _set_link(self, link: Link) -> None:
        if link is self.link:
            return
        log.info("ibkr.link", link=link.value, was=self.link.value)
        self.link = link
        self.since = self.now()
        if link is Link.READY:
            self.down_since = None
        elif self.down_since is None:
            self.down_since = self.since

    def alert(self, level: str, text: str) -> None:
        (log.error if level == "critical" else log.warning)("ibkr.alert", level=level, text=text)
        if self.on_alert is not None:
            self.on_alert(level, text)

    # -- connecting --------------------------------------------------------------------------------------
    async def connect(self, *, attempts: int | None = None) -> None:
        """Connect, retrying with back-off (``attempts``: give up after that many; ``None``: until stopped).

        Raises :class:`AccountError` at once (retrying cannot fix it) and :class:`ConnectionError` when
        ``attempts`` are used up.
        """
        cfg = self.config
        delay = cfg.reconnect_initial_seconds
        tried = 0
        while not self._stop.is_set():
            tried += 1
            self._set_link(Link.CONNECTING)
            try:
                await self._connect_once()
                return
            except AccountError:
                self._set_link(Link.CLOSED)
                raise
            except (OSError, TimeoutError, ConnectionError) as exc:
                self.last_error = self._describe(exc)
                self._set_link(Link.DOWN)
                if attempts is not None and tried >= attempts:
                    raise ConnectionError(self.last_error) from exc
                log.warning("ibkr.connect_failed", error=self.last_error, retry_in_s=delay, attempt=tried)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=delay)
                delay = min(delay * 2, cfg.reconnect_max_seconds)
                self._check_down()
        raise ConnectionError("the IBKR session was stopped")

    def _describe(self, exc: BaseException) -> str:
        cfg = self.config
        where = f"{cfg.host}:{cfg.port} (client id {cfg.client_id})"
        if self._id_in_use:
            return (f"TWS at {where} says client id {cfg.client_id} is in use (326): a previous session has not "
                    f"been released yet or another program uses it")
        if isinstance(exc, ConnectionRefusedError):
            return (f"nothing listens at {where}: start TWS or IB Gateway, log in and enable the API "
                    f"(Configure > API > Settings, socket port {cfg.port})")
        if isinstance(exc, TimeoutError | asyncio.TimeoutError):
            return (f"TWS at {where} did not complete the API handshake within {cfg.connect_timeout_seconds:g} s "
                    f"(is the API enabled and this host trusted? is a login dialog open?)")
        return f"connection to {where} failed: {exc}"

    async def _connect_once(self) -> None:
        cfg = self.config
        self._connecting = True
        self._id_in_use = False
        try:
            await self.ib.connectAsync(cfg.host, cfg.port, clientId=cfg.client_id,
                                       timeout=cfg.connect_timeout_seconds, account=cfg.account,
                                       readonly=self.readonly)
        except BaseException:
            self._connecting = False
            with contextlib.suppress(Exception):
                self.ib.disconnect()
            raise
        self._connecting = False
        self.accounts = list(self.ib.managedAccounts())
        self.server_version = self.ib.client.serverVersion()
        try:
            self.account = choose_account(self.accounts, cfg.account, self.live, trading=not self.readonly)
        except AccountError:
            self.ib.disconnect()
            raise
        reconnect = self._ever_ready
        self.reconnects += int(reconnect)
        self._ever_ready = True
        self._dropped.clear()
        self.last_error = ""
        log.info("ibkr.connected", host=cfg.host, port=cfg.port, client_id=cfg.client_id, account=self.account,
                 server_version=self.server_version, reconnect=reconnect)
        for hook in list(self.on_ready):
            await hook(reconnect)
        self._set_link(Link.READY)
        if self._down_alerted:
            self.alert("info", f"IBKR connection restored ({cfg.host}:{cfg.port}); orders and positions "
                                f"reconciled, trading resumes")
            self._down_alerted = False

    # -- supervision -------------------------------------------------------------------------------------
    async def run(self) -> None:
        """Keep the session up until :meth:`close`: probe the link, reconnect when it drops."""
        while not self._stop.is_set():
            if self.link is not Link.READY and self.link is not Link.LOST:
                try:
                    await self.connect()
                except ConnectionError:
                    return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._dropped.wait(), timeout=self.config.probe_seconds)
            if self._stop.is_set():
                break
            if not self._dropped.is_set():
                await self.probe()
            self._check_down()

    async def probe(self) -> bool:
        """Ask TWS the time; a silent link is closed (and then reconnected by :meth:`run`)."""
        if not self.ib.isConnected():
            return False
        try:
            await asyncio.wait_for(self.ib.reqCurrentTimeAsync(), timeout=self.config.request_timeout_seconds)
            return True
        except (TimeoutError, ConnectionError):
            self.last_error = (f"TWS stopped answering (no reply to a time request within "
                               f"{self.config.request_timeout_seconds:g} s); reconnecting")
            log.warning("ibkr.silent", error=self.last_error)
            self.ib.disconnect()
            return False

    def _check_down(self) -> None:
        if self.link is Link.READY or self._down_alerted:
            return
        down = self._down_for()
        if self.link in (Link.DOWN, Link.CONNECTING, Link.LOST) and down >= self.config.down_alert_seconds:
            self._down_alerted = True
            self.alert("critical", f"IBKR connection down for {down:.0f} s ({self.last_error or self.link.value}); "
                                    f"every new order is refused until it is back")

    async def close(self) -> None:
        self._stop.set()
        self._dropped.set()
        for task in list(self._tasks):
            task.cancel()
        self._set_link(Link.CLOSED)
        if self.ib.isConnected():
            self.ib.disconnect()

    # -- events from ib_async ----------------------------------------------------------------------------
    def _on_disconnected(self) -> None:
        if self._connecting or self.link is Link.CLOSED:
            return
        log.warning("ibkr.disconnected", was=self.link.value)
        if not self.last_error:
            self.last_error = "TWS / IB Gateway closed the connection"
        self._set_link(Link.DOWN)
        self._dropped.set()

    def _on_error(self, req_id: int, code: int, message: str, contract: Any = None) -> None:
        err = IbError(int(req_id), int(code), str(message))
        self.errors = [*self.errors[-49:], err]
        kind = err.kind
        if kind is Kind.CLIENT_ID_IN_USE:
            self._id_in_use = True
        elif kind is Kind.CONNECTIVITY_LOST:
            self.last_error = str(err)
            if self.link is Link.READY:
                self._set_link(Link.LOST)
        elif kind in (Kind.RESTORED, Kind.RESTORED_DATA_LOST):
            if self.link is Link.LOST:
                self._set_link(Link.READY)
            self.last_error = ""
            if kind is Kind.RESTORED_DATA_LOST:
                self._spawn(self._resubscribe())
        elif kind in (Kind.FARM_DOWN, Kind.FARM_OK, Kind.WARNING, Kind.DELAYED):
            log.info("ibkr.notice", code=code, message=message)
        for handler in self.on_error:
            handler(err)

    async def _resubscribe(self) -> None:
        log.warning("ibkr.data_lost", note="1101: market-data subscriptions are resent")
        for hook in list(self.on_data_lost):
            await hook()

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
