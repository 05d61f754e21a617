"""Streaming market data from TWS as Theo's ticks, quotes and 5-second bars.

Per subscribed symbol:

* **trades**: ``reqTickByTickData`` *AllLast* when ``tick_by_tick`` is on; when TWS refuses it (10190 too many
  tick-by-tick streams, 10089 / 354 / 10168 not subscribed) the symbol falls back to ``reqMktData`` with
  generic tick 233 (RTVolume, "Time & Sales");
* **quotes**: bid/ask from ``reqMktData`` (one :class:`Quote` per change of the top of book);
* **bars**: ``reqRealTimeBars`` 5-second TRADES bars (``timeframe="5s"``).

Exchange time: ``ib_async`` stamps tick-by-tick prints with their arrival time and drops the exchange's
``time`` field, and keeps RTVolume's millisecond trade time only on the ticker. This module reads both where
the client receives them (the wrapper's ``tickByTickAllLast`` and ``tickString`` callbacks, which it wraps
and always passes on), so ``Tick.ts`` is the exchange's time (whole seconds for tick-by-tick, milliseconds
for RTVolume) and ``Tick.received`` the arrival; the engine's pipeline measures the latency from them.

Trade ids: IBKR gives none, so one is made from what identifies a print on the wire: for tick-by-tick the
exchange second, price, size, venue and the print's rank among identical prints of that second; for RTVolume
the millisecond, price, size and the day's cumulative volume. A print TWS delivers again (after a
resubscription) gets the same id and the quality gate drops it.

Subscriptions survive: after a reconnect (``session.on_ready`` with ``reconnect=True``) and after 1101
(``session.on_data_lost``) every stream is requested again. Data-farm notices (2103/2105/10182) are only
logged by the session; nothing here is torn down for them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from ib_async import IB, Contract, RealTimeBarList, Ticker

from theo.adapters.ibkr.errors import IbError, Kind
from theo.adapters.ibkr.requests import RequestErrors, fresh
from theo.core.calendar import MarketCalendar
from theo.core.logging import get_logger
from theo.model.market import Bar, Quote, Tick

log = get_logger("theo.ibkr.data")

FEED = "ibkr"
Handler = Callable[[Tick | Quote | Bar], None]
#: Errors on a tick-by-tick request that mean "use RTVolume instead".
TBT_REFUSALS = frozenset({10190, 10089, 10090, 354, 10168, 10186, 322})
RT_VOLUME_TYPES = frozenset({48, 77})  # RTVolume, RT Trade Volume


@dataclass
class Stream:
    """What is requested for one symbol, and the requests currently live."""

    symbol: str
    contract: Contract  # qualified (conId set)
    trades: bool = True
    quotes: bool = True
    bars: bool = False
    tick_by_tick: bool = True
    delayed: bool = False
    refused: str = ""  # the last refusal of TWS for the symbol's data (also logged as ibkr.stream_refused)
    tbt_contract: Contract | None = None
    mkt_contract: Contract | None = None
    bars_contract: Contract | None = None
    tbt_req: int = 0
    mkt_req: int = 0
    rt_bars: RealTimeBarList | None = field(default=None, repr=False)
    last_quote: tuple[float, float, float, float] | None = None
    ranks: dict[tuple[int, float, float, str], int] = field(default_factory=dict)
    rank_second: int = 0


class Streams:
    """The live streams of one session (see the module docstring)."""

    def __init__(self, ib: IB, errors: RequestErrors, handler: Handler, calendar: MarketCalendar, *,
                 tick_by_tick: bool = True,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.ib = ib
        self.errors = errors
        self.handler = handler
        self.calendar = calendar
        self.tick_by_tick = tick_by_tick
        self.now = now
        self.streams: dict[str, Stream] = {}
        self.delivered = 0
        self._by_tbt: dict[int, Stream] = {}
        self._by_mkt: dict[int, Stream] = {}
        self._by_ticker: dict[int, Stream] = {}
        wrapper = ib.wrapper
        self._tbt_next: Callable[..., None] = wrapper.tickByTickAllLast
        self._string_next: Callable[..., None] = wrapper.tickString
        # The wrapper is the client's own callback object: wrap the two callbacks whose exchange times it drops.
        setattr(wrapper, "tickByTickAllLast", self._on_tbt)  # noqa: B010
        setattr(wrapper, "tickString", self._on_string)  # noqa: B010
        ib.pendingTickersEvent += self._on_tickers

    # -- subscribing ---------------------------------------------------------------------------------------
    def add(self, stream: Stream) -> None:
        """Start the requests of ``stream`` (replacing a stream of the same symbol)."""
        if stream.symbol in self.streams:
            self.remove(stream.symbol)
        stream.tick_by_tick = stream.tick_by_tick and self.tick_by_tick
        self.streams[stream.symbol] = stream
        self._request(stream)

    def _request(self, s: Stream) -> None:
        s.ranks.clear()
        s.last_quote = None
        if s.trades and s.tick_by_tick:
            s.tbt_contract = fresh(s.contract)
            self.errors.stream(s.tbt_contract, partial(self._on_error, "tbt", s))
            ticker = self.ib.reqTickByTickData(s.tbt_contract, "AllLast", 0, False)
            s.tbt_req = self.ib.wrapper.ticker2ReqId["AllLast"].get(ticker, 0)
            self._by_tbt[s.tbt_req] = s
        if s.quotes or (s.trades and not s.tick_by_tick):
            s.mkt_contract = fresh(s.contract)
            self.errors.stream(s.mkt_contract, partial(self._on_error, "mkt", s))
            generic = "233" if s.trades and not s.tick_by_tick else ""
            ticker = self.ib.reqMktData(s.mkt_contract, generic, False, False)
            s.mkt_req = self.ib.wrapper.ticker2ReqId["mktData"].get(ticker, 0)
            self._by_mkt[s.mkt_req] = s
            self._by_ticker[id(ticker)] = s
        if s.bars:
            s.bars_contract = fresh(s.contract)
            self.errors.stream(s.bars_contract, partial(self._on_error, "bars", s))
            s.rt_bars = self.ib.reqRealTimeBars(s.bars_contract, 5, "TRADES", False)
            s.rt_bars.updateEvent += partial(self._on_bar, s)

    def _cancel(self, s: Stream) -> None:
        connected = self.ib.isConnected()
        if s.tbt_contract is not None:
            self._by_tbt.pop(s.tbt_req, None)
            if connected:
                self.ib.cancelTickByTickData(s.tbt_contract, "AllLast")
            self.errors.unstream(s.tbt_contract)
            s.tbt_contract = None
        if s.mkt_contract is not None:
            self._by_mkt.pop(s.mkt_req, None)
            ticker = self.ib.ticker(s.mkt_contract)
            if ticker is not None:
                self._by_ticker.pop(id(ticker), None)
            if connected:
                self.ib.cancelMktData(s.mkt_contract)
            self.errors.unstream(s.mkt_contract)
            s.mkt_contract = None
        if s.rt_bars is not None:
            if connected:
                self.ib.cancelRealTimeBars(s.rt_bars)
            s.rt_bars.updateEvent.clear()
            s.rt_bars = None
        if s.bars_contract is not None:
            self.errors.unstream(s.bars_contract)
            s.bars_contract = None

    def remove(self, symbol: str) -> None:
        s = self.streams.pop(symbol, None)
        if s is not None:
            self._cancel(s)

    def restore(self, reconnect: bool) -> None:
        """Request every stream again: after a reconnect (the client forgot them) or after 1101 (TWS did)."""
        for s in list(self.streams.values()):
            if reconnect:
                self._by_tbt.pop(s.tbt_req, None)
                self._by_mkt.pop(s.mkt_req, None)
                self._by_ticker.clear()
                s.tbt_contract = s.mkt_contract = s.bars_contract = None
                if s.rt_bars is not None:
                    s.rt_bars.updateEvent.clear()
                    s.rt_bars = None
            else:
                self._cancel(s)
            self._request(s)
        log.info("ibkr.resubscribed", symbols=sorted(self.streams), reconnect=reconnect)

    # -- errors --------------------------------------------------------------------------------------------
    def _on_error(self, which: str, s: Stream, err: IbError) -> None:
        if which == "tbt" and err.code in TBT_REFUSALS and s.tick_by_tick:
            log.warning("ibkr.tick_by_tick_refused", symbol=s.symbol, code=err.code, fallback="RTVolume (233)")
            self._cancel(s)
            s.tick_by_tick = False
            self._request(s)
            return
        if err.kind is Kind.DELAYED:
            s.delayed = True
            return
        if err.kind in (Kind.NOT_SUBSCRIBED, Kind.NO_SECURITY, Kind.ERROR, Kind.NO_DATA):
            s.refused = str(err)
            log.warning("ibkr.stream_refused", symbol=s.symbol, stream=which, error=str(err))

    # -- wire callbacks ------------------------------------------------------------------------------------
    def _on_tbt(self, reqId: int, tickType: int, time: int, price: float, size: float, attrib: Any,  # noqa: N803
                exchange: str, special: str) -> None:
        self._tbt_next(reqId, tickType, time, price, size, attrib, exchange, special)
        s = self._by_tbt.get(reqId)
        if s is None or price <= 0 or size < 0:
            return
        second = int(time)
        if second != s.rank_second:
            s.ranks.clear()
            s.rank_second = second
        key = (second, price, size, exchange)
        rank = s.ranks.get(key, 0)
        s.ranks[key] = rank + 1
        ts = datetime.fromtimestamp(second, UTC)
        self._tick(s, ts, price, size, exchange, str(special or ""), f"{second}|{price!r}|{size!r}|{exchange}|{rank}")

    def _on_string(self, reqId: int, tickType: int, value: str) -> None:  # noqa: N803
        self._string_next(reqId, tickType, value)
        if tickType not in RT_VOLUME_TYPES:
            return
        s = self._by_mkt.get(reqId)
        if s is None or s.tick_by_tick:
            return
        parts = value.split(";")
        if len(parts) < 4 or not parts[0] or not parts[2]:
            return
        try:
            price, size, ms = float(parts[0]), float(parts[1] or 0), int(parts[2])
        except ValueError:
            log.warning("ibkr.bad_rtvolume", symbol=s.symbol, value=value)
            return
        if price <= 0:
            return
        ts = datetime.fromtimestamp(ms / 1000, UTC)
        self._tick(s, ts, price, size, "", "", f"rt|{ms}|{price!r}|{size!r}|{parts[3]}")

    def _tick(self, s: Stream, ts: datetime, price: float, size: float, exchange: str, condition: str,
              trade_id: str) -> None:
        self._deliver(Tick(s.symbol, ts, price, size, FEED, exchange, condition, self.now(), trade_id))

    def _on_tickers(self, tickers: set[Ticker]) -> None:
        for ticker in tickers:
            s = self._by_ticker.get(id(ticker))
            if s is None or not s.quotes:
                continue
            top = (ticker.bid, ticker.bidSize, ticker.ask, ticker.askSize)
            if any(v != v for v in top) or ticker.bid <= 0 or ticker.ask <= 0 or top == s.last_quote:
                continue
            s.last_quote = top
            received = self.now()
            self._deliver(Quote(s.symbol, received, float(ticker.bid), float(ticker.bidSize), float(ticker.ask),
                                float(ticker.askSize), FEED, received))

    def _on_bar(self, s: Stream, bars: RealTimeBarList, has_new_bar: bool) -> None:
        if not has_new_bar or not bars:
            return
        b = bars[-1]
        start = b.time.astimezone(UTC) if b.time.tzinfo else b.time.replace(tzinfo=UTC)
        self._deliver(Bar(s.symbol, "5s", start, start + timedelta(seconds=5), float(b.open_), float(b.high),
                          float(b.low), float(b.close), max(float(b.volume), 0.0), max(int(b.count), 0),
                          self.calendar.session_kind(start), FEED))

    def _deliver(self, event: Tick | Quote | Bar) -> None:
        self.delivered += 1
        self.handler(event)
