"""The IBKR market-data service (plan §4): streams, snapshots, history, reference data, corporate actions.

:class:`IbkrMarketData` sits on an :class:`~theo.adapters.ibkr.connection.IbkrSession` (one ``ib_async``
client on the engine's loop) and gives Theo's objects only: ticks, quotes and 5-second bars to a handler
(:mod:`theo.adapters.ibkr.streams`), Decimal prices in snapshots, bars for the store
(:mod:`theo.adapters.ibkr.history`), symbols and chains (:mod:`theo.adapters.ibkr.reference`).
It hooks itself into the session: after every reconnect and after 1101 the streams and the kept-up-to-date
historical series are requested again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from ib_async import Contract

from theo.adapters.ibkr.config import IbkrConfig
from theo.adapters.ibkr.connection import IbkrSession
from theo.adapters.ibkr.errors import IbkrError, IbkrUnavailable
from theo.adapters.ibkr.history import History, HistorySubscription, to_bars
from theo.adapters.ibkr.pacing import HistoryPacer
from theo.adapters.ibkr.parsing import dec
from theo.adapters.ibkr.reference import Reference
from theo.adapters.ibkr.requests import RequestErrors, fresh, refused
from theo.adapters.ibkr.streams import Handler, Stream, Streams
from theo.config import TheoConfig
from theo.core.calendar import ET, MarketCalendar, get_calendar
from theo.core.logging import get_logger
from theo.data.corporate_actions import CorporateActionStore
from theo.model.enums import SessionKind
from theo.model.market import Bar, Quote, Tick
from theo.model.reference import CorporateAction, CurrentPrice, FutureExpiry, OptionChain, SymbolInfo

log = get_logger("theo.ibkr.data")
MARKET_DATA_TYPES = {"live": 1, "frozen": 2, "delayed": 3, "delayed_frozen": 4}


@dataclass(frozen=True, slots=True)
class MarketSnapshot:
    """One snapshot of a symbol's market (``None`` where IBKR sent nothing)."""

    symbol: str
    ts: datetime
    bid: Decimal | None
    ask: Decimal | None
    bid_size: Decimal | None
    ask_size: Decimal | None
    last: Decimal | None
    last_size: Decimal | None
    last_ts: datetime | None
    volume: Decimal | None
    open: Decimal | None
    high: Decimal | None
    low: Decimal | None
    close: Decimal | None  # the previous session's close
    delayed: bool


@dataclass(frozen=True, slots=True)
class DepthLevel:
    price: Decimal
    size: Decimal
    venue: str


@dataclass(frozen=True, slots=True)
class MarketDepth:
    symbol: str
    ts: datetime
    bids: tuple[DepthLevel, ...]
    asks: tuple[DepthLevel, ...]


@dataclass(frozen=True, slots=True)
class MarketStatus:
    """The market now: the session by the exchange calendar, and TWS's clock and link."""

    now: datetime
    session: SessionKind
    day: date | None  # the trading day whose hours contain now (None when closed)
    pre_open: datetime | None
    open: datetime | None
    close: datetime | None
    post_close: datetime | None
    early_close: bool
    holiday: str | None
    next_open: datetime
    server_time: datetime | None
    clock_offset_ms: float | None  # TWS's clock minus ours
    link: str


class IbkrMarketData:
    """Market data from TWS / IB Gateway (see the module docstring)."""

    def __init__(self, session: IbkrSession, config: IbkrConfig | TheoConfig | None = None, *,
                 handler: Handler | None = None,
                 calendar: MarketCalendar | None = None, corporate_actions: CorporateActionStore | None = None,
                 realtime_bars: bool = False, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.session = session
        if isinstance(config, TheoConfig):  # the whole config: [execution.ibkr] and the [market] calendar
            calendar = calendar or get_calendar(config.market.calendar, config.market)
            config = config.execution.ibkr
        self.config = config or session.config
        self.ib = session.ib
        self.calendar = calendar or get_calendar()
        self.realtime_bars = realtime_bars
        self.corporate_actions = corporate_actions
        self.now = now
        self.errors = RequestErrors(self.ib)
        cfg = self.config
        self.pacer = HistoryPacer(per_window=cfg.history_requests_per_10min,
                                  per_contract=cfg.history_same_contract_per_2s, backoff=cfg.pacing_backoff_seconds)
        self.reference = Reference(self.ib, self.errors, cfg.request_timeout_seconds)
        self.history = History(self.ib, self.errors, self.pacer, self.calendar, cfg.request_timeout_seconds,
                               now)
        self._tasks: set[asyncio.Task[None]] = set()
        self._handler: Handler = handler or (lambda event: None)
        self.streams = Streams(self.ib, self.errors, self._deliver, self.calendar, tick_by_tick=cfg.tick_by_tick,
                               now=now)
        self._contracts: dict[str, Contract] = {}
        self._chains: dict[str, OptionChain] = {}
        session.on_ready.append(self._on_ready)
        session.on_data_lost.append(self._on_data_lost)

    def _deliver(self, event: Tick | Quote | Bar) -> None:
        self._handler(event)

    def set_handler(self, handler: Handler) -> None:
        """Where ticks, quotes and bars go (the engine's quality gate / recorder / aggregator)."""
        self._handler = handler

    # -- session hooks -------------------------------------------------------------------------------------
    async def _on_ready(self, reconnect: bool) -> None:
        self.ib.reqMarketDataType(MARKET_DATA_TYPES[self.config.market_data_type])
        if reconnect:
            self.streams.restore(reconnect=True)
            self._background(self.history.restore(reconnect=True))

    async def _on_data_lost(self) -> None:
        self.streams.restore(reconnect=False)
        self._background(self.history.restore(reconnect=False))

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        """Historical series come back paced, without holding up the session (orders wait for nothing here)."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("ibkr.history_restore_failed", error=str(task.exception()))

    def _require(self) -> None:
        if not self.ib.isConnected():
            raise IbkrUnavailable(f"not connected to TWS / IB Gateway at {self.config.host}:{self.config.port}; "
                                  f"{self.session.last_error or 'connect first'}")

    async def contract(self, symbol: str) -> Contract:
        """The qualified IBKR contract of ``symbol`` (looked up once, then cached)."""
        key = symbol.strip().upper()
        found = self._contracts.get(key)
        if found is None:
            self._require()
            _, found = await self.reference.qualify(key)
            self._contracts[key] = found
        return found

    # -- streaming -----------------------------------------------------------------------------------------
    async def start(self, symbols: Sequence[str], handler: Handler) -> None:
        """The live run's feed: trades and quotes of ``symbols`` (and 5-second bars with ``realtime_bars``)
        to ``handler``, restored after reconnects and 1101 until :meth:`stop`."""
        self.set_handler(handler)
        await self.subscribe(symbols, bars=self.realtime_bars)

    async def stop(self) -> None:
        """Cancel every stream and kept-up-to-date series."""
        for task in list(self._tasks):
            task.cancel()
        self.unsubscribe(list(self.streams.streams))
        for sub in list(self.history.subscriptions):
            self.history.unsubscribe(sub.symbol)

    async def subscribe(self, symbols: Sequence[str], *, trades: bool = True, quotes: bool = True,
                        bars: bool = False) -> None:
        """Stream ``symbols`` (trades, quotes, and with ``bars`` 5-second bars) to the handler."""
        for symbol in symbols:
            key = symbol.strip().upper()
            self.streams.add(Stream(key, await self.contract(key), trades=trades, quotes=quotes, bars=bars))

    def unsubscribe(self, symbols: Sequence[str]) -> None:
        for symbol in symbols:
            key = symbol.strip().upper()
            self.streams.remove(key)
            self.history.unsubscribe(key)

    async def subscribe_bars(self, symbol: str, timeframe: str = "1m", *, what_to_show: str = "TRADES",
                             use_rth: bool = False, handler: Callable[[Bar], None] | None = None) -> None:
        """A kept-up-to-date historical series (``keepUpToDate``): each completed bar to ``handler``."""
        key = symbol.strip().upper()
        sub = HistorySubscription(key, await self.contract(key), timeframe, what_to_show, use_rth,
                                  handler or self._deliver)
        await self.history.subscribe(sub)

    # -- plan §4 methods -----------------------------------------------------------------------------------
    async def validate_symbol(self, symbol: str) -> SymbolInfo:
        self._require()
        return await self.reference.validate_symbol(symbol)

    async def get_market_data(self, symbol: str) -> MarketSnapshot:
        """A snapshot: bid/ask, last, volume, the day's open/high/low and the previous close."""
        contract = fresh(await self.contract(symbol))
        timeout = self.config.request_timeout_seconds
        with self.errors.watch(contract) as errs:
            try:
                [ticker] = await asyncio.wait_for(self.ib.reqTickersAsync(contract), timeout)
            except TimeoutError:
                raise IbkrError(f"market data of {symbol}: no snapshot within {timeout:g} s") from None
        delayed = any(e.code == 10167 for e in errs)
        if ticker.bid != ticker.bid and ticker.last != ticker.last and ticker.close != ticker.close:
            err = refused([e for e in errs if e.code != 10167], f"market data of {symbol}")
            if err is not None:
                raise err
        last_ts = ticker.lastTimestamp if isinstance(ticker.lastTimestamp, datetime) else None
        return MarketSnapshot(symbol.strip().upper(), self.now(), dec(ticker.bid), dec(ticker.ask),
                              dec(ticker.bidSize), dec(ticker.askSize), dec(ticker.last), dec(ticker.lastSize),
                              last_ts.astimezone(UTC) if last_ts is not None else None, dec(ticker.volume),
                              dec(ticker.open), dec(ticker.high), dec(ticker.low), dec(ticker.close), delayed)

    async def get_current_price(self, symbol: str) -> CurrentPrice:
        """The price to quote now: the last trade (pre- and post-market trades included, with their session),
        else the bid/ask midpoint, else the previous close."""
        snap = await self.get_market_data(symbol)
        now = self.now()
        market = self.calendar.session_kind(now)
        if snap.last is not None and snap.last > 0:
            when = snap.last_ts
            return CurrentPrice(snap.symbol, snap.last, "last", when,
                                self.calendar.session_kind(when) if when is not None else market, market,
                                snap.delayed)
        if snap.bid is not None and snap.ask is not None and snap.bid > 0 and snap.ask > 0:
            return CurrentPrice(snap.symbol, (snap.bid + snap.ask) / 2, "mid", now, market, market, snap.delayed)
        if snap.close is not None and snap.close > 0:
            return CurrentPrice(snap.symbol, snap.close, "close", None, SessionKind.CLOSED, market, snap.delayed)
        raise IbkrError(f"IBKR has no price for {snap.symbol} now (no trade, quote or close); is the market-data "
                        f"subscription there? `theo ib check` shows it")

    async def get_market_status(self) -> MarketStatus:
        """The session now by the exchange calendar, TWS's clock (when connected) and the link."""
        now = self.now()
        server: datetime | None = None
        if self.ib.isConnected():
            try:
                server = await asyncio.wait_for(self.ib.reqCurrentTimeAsync(), self.config.request_timeout_seconds)
            except TimeoutError:
                server = None
        cal = self.calendar
        times = cal.session_at(now)
        today = now.astimezone(ET).date()
        upcoming = cal.session(today)
        if upcoming is None or upcoming.open <= now:
            upcoming = cal.session(cal.next_session(today))
        assert upcoming is not None  # next_session returns a session day
        return MarketStatus(
            now=now, session=cal.session_kind(now), day=times.day if times else None,
            pre_open=times.pre_open if times else None, open=times.open if times else None,
            close=times.close if times else None, post_close=times.post_close if times else None,
            early_close=times.early_close if times else False, holiday=cal.holiday_name(today),
            next_open=upcoming.open, server_time=server.astimezone(UTC) if server is not None else None,
            clock_offset_ms=(server - now).total_seconds() * 1000 if server is not None else None,
            link=self.session.link.value)

    async def get_historical_data(self, symbol: str, bar_size: str = "1m", *, duration: str | None = None,
                                  start: datetime | None = None, end: datetime | None = None,
                                  what_to_show: str = "TRADES", use_rth: bool = False) -> list[Bar]:
        """Bars of ``symbol``: ``start``..``end`` (chunked and paced) or ``duration`` (an IBKR duration such as
        ``"2 D"``) back from ``end`` (default now)."""
        contract = await self.contract(symbol)
        key = symbol.strip().upper()
        if start is not None:
            return await self.history.bars(contract, key, bar_size, start, end or self.now(), what_to_show, use_rth)
        if duration is None:
            raise IbkrError("get_historical_data needs start (and end) or duration (e.g. '2 D', '3600 S')")
        raw = await self.history.request(contract, key, end or "", duration, bar_size, what_to_show, use_rth)
        return to_bars(list(raw), key, bar_size, self.calendar)

    async def get_option_chain(self, symbol: str, *, expiries: int = 2) -> OptionChain:
        """Listed expirations and strikes (``reqSecDefOptParams``); the nearest ``expiries`` expirations carry
        their own strikes from the listed contracts."""
        self._require()
        chain = await self.reference.option_chain(symbol, expiries=expiries)
        self._chains[chain.symbol] = chain
        return chain

    def listed_strikes(self, symbol: str, expiry: date) -> tuple[Decimal, ...] | None:
        """The strikes listed for ``expiry`` on the chain last loaded by :meth:`get_option_chain` (``None`` when
        none was loaded): the scanner's ``strikes`` lookup, so ITM/OTM/DITM/DOTM pick listed strikes."""
        chain = self._chains.get(symbol.strip().upper())
        if chain is None or (expiry not in chain.by_expiry and expiry not in chain.expirations):
            return None
        return chain.strikes_for(expiry)

    async def get_futures(self, root: str) -> list[FutureExpiry]:
        self._require()
        return await self.reference.futures(root)

    async def get_front_future(self, root: str, on: date | None = None) -> FutureExpiry:
        self._require()
        return await self.reference.front_future(root, on or self.now().astimezone(ET).date())

    async def get_market_depth(self, symbol: str, rows: int = 5, *, wait: float = 1.0) -> MarketDepth:
        """The order book (``reqMktDepth``, SMART depth) after ``wait`` seconds of updates."""
        if not 1 <= rows <= 50:
            raise IbkrError(f"depth rows={rows} must be between 1 and 50")
        contract = fresh(await self.contract(symbol))
        with self.errors.watch(contract) as errs:
            ticker = self.ib.reqMktDepth(contract, rows, True)
            try:
                loop = asyncio.get_running_loop()
                deadline = loop.time() + wait
                while loop.time() < deadline and not errs and not (ticker.domBids and ticker.domAsks):
                    await asyncio.sleep(0.02)
                await asyncio.sleep(0.05)
                bids, asks = list(ticker.domBids[:rows]), list(ticker.domAsks[:rows])
            finally:
                if self.ib.isConnected():
                    self.ib.cancelMktDepth(contract, True)  # this clears the ticker's book
        if not bids and not asks:
            err = refused(errs, f"market depth of {symbol}")
            if err is not None:
                raise err
        return MarketDepth(symbol.strip().upper(), self.now(),
                           tuple(DepthLevel(dec(b.price) or Decimal(0), dec(b.size) or Decimal(0), b.marketMaker)
                                 for b in bids),
                           tuple(DepthLevel(dec(a.price) or Decimal(0), dec(a.size) or Decimal(0), a.marketMaker)
                                 for a in asks))

    async def get_fundamental_data(self, symbol: str, report: str = "ReportSnapshot") -> str:
        self._require()
        return await self.reference.fundamentals(symbol, report)

    async def get_corporate_actions(self, symbol: str, *, wait: float = 2.0) -> list[CorporateAction]:
        """The dividends IBKR announces for ``symbol`` (dividend tick 456), saved to the corporate-actions store
        when one is given. IBKR's API does not announce splits."""
        self._require()
        actions = await self.reference.dividends(await self.contract(symbol), symbol, wait)
        if actions and self.corporate_actions is not None:
            self.corporate_actions.save_actions(actions)
        return actions
