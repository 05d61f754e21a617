"""The Polygon / Massive real-time feed: trades, quotes and minute bars of the subscribed symbols.

:class:`PolygonFeed` is a :class:`~theo.data.feeds.base.Feed` (source ``"polygon"``) on the official
``massive`` WebSocket client. Per symbol it subscribes the ``[polygon] channels``: ``T.<SYM>`` trades as
:class:`Tick` (exchange time from Polygon's SIP timestamp, sale conditions mapped by
:mod:`theo.adapters.polygon.parsing`, ``trade_id`` = sequence number, exchange and trade id), ``Q.<SYM>``
NBBO quotes as :class:`Quote` (sizes in shares) and ``AM.<SYM>`` Polygon's minute bars as ``1m`` :class:`Bar`.

Reconnects are the feed's own: every end of a session (server close, dropped TCP, no greeting within the
connect timeout) is a :class:`~theo.adapters.polygon.errors.PolygonError`, and :meth:`PolygonFeed.serve`
(the base class's supervised loop, with ``[polygon]`` back-off) opens a new session with every subscribed
symbol. A refused key is a :class:`~theo.adapters.polygon.errors.PolygonAuthError`: it is not retried.
Polygon does not replay missed prints after a reconnect; the gap is filled from REST aggregates
(:class:`~theo.adapters.polygon.history.PolygonHistory`) by the feed supervisor.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

from massive.websocket.models import EquityAgg, EquityQuote, EquityTrade, WebSocketMessage

from theo.adapters.polygon.config import PolygonConfig
from theo.adapters.polygon.connection import PolygonSocket, SocketStats
from theo.adapters.polygon.errors import PolygonError
from theo.adapters.polygon.parsing import (
    FEED,
    bar_of,
    epoch_utc,
    quote_of,
    tick_of,
    trades_in,
    unknown_codes,
)
from theo.core.calendar import MarketCalendar, get_calendar
from theo.core.logging import get_logger
from theo.data.feeds.base import EventHandler, Feed, MarketEvent
from theo.model.market import Bar

log = get_logger("theo.polygon")
_END = object()


class PolygonFeed(Feed):
    """Real-time events from Polygon / Massive (see the module docstring)."""

    def __init__(self, config: PolygonConfig | None = None, *, calendar: MarketCalendar | None = None,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC), name: str = FEED) -> None:
        super().__init__(name)
        self.config = config or PolygonConfig()
        self.calendar = calendar or get_calendar()
        self.now = now
        self.stats = SocketStats()
        #: Prints whose conditions say they are not trades (official open/close, cancels ...), by symbol.
        self.not_trades: dict[str, int] = {}
        self._unknown_codes: set[int] = set()
        self._socket: PolygonSocket | None = None
        self._handler: EventHandler | None = None
        self._key = ""

    # -- lifecycle -----------------------------------------------------------------------------------------
    def connect(self) -> None:
        """Read the API key from the environment (the socket opens in :meth:`run`)."""
        self._key = self.config.api_key()

    def disconnect(self) -> None:
        self._connected = False

    def topics(self, symbols: Iterable[str]) -> list[str]:
        """The client's subscription topics of ``symbols`` (``T.SPY``, ``Q.SPY`` ...)."""
        return [f"{ch}.{s.upper()}" for s in sorted(symbols) for ch in self.config.channels]

    def subscribe(self, symbols: Iterable[str]) -> None:
        new = [s.upper() for s in symbols]
        super().subscribe(new)
        if self._socket is not None:
            self._socket.subscribe(self.topics(new))

    def unsubscribe(self, symbols: Iterable[str]) -> None:
        gone = [s.upper() for s in symbols]
        super().unsubscribe(gone)
        if self._socket is not None:
            self._socket.unsubscribe(self.topics(gone))

    # -- delivery ------------------------------------------------------------------------------------------
    async def run(self, handler: EventHandler, stop: asyncio.Event) -> None:
        """One session: deliver events to ``handler`` until ``stop`` (returns) or the session ends (raises)."""
        if not self._key:
            self.connect()
        self._handler = handler
        socket = PolygonSocket(self.config, self._key, self.topics(self._subscribed), self._on_messages,
                               self.stats, self.config.key_source())
        self._socket = socket
        try:
            await socket.open()
            self._connected = True
            log.info("polygon.connected", url=socket.url, symbols=len(self._subscribed),
                     channels=",".join(self.config.channels), reconnects=self._reconnects)
            await socket.wait(stop)
        finally:
            self._socket = None
            self._connected = False
            await socket.close()

    async def serve(self, handler: EventHandler, stop: asyncio.Event, *, retry_initial: float | None = None,
                    retry_max: float | None = None, max_reconnects: int | None = None) -> None:
        """The base class's reconnecting loop with ``[polygon]`` back-off by default."""
        await super().serve(handler, stop,
                            retry_initial=retry_initial or self.config.reconnect_initial_seconds,
                            retry_max=retry_max or self.config.reconnect_max_seconds, max_reconnects=max_reconnects)

    def events(self) -> Iterator[MarketEvent]:
        """Events as they arrive, for a script without an event loop: the feed is served (with reconnects) on
        a private loop in a thread until the consumer stops iterating. Real time: it never runs out."""
        out: queue.Queue[object] = queue.Queue()
        loop = asyncio.new_event_loop()
        stop = asyncio.Event()
        failure: list[BaseException] = []

        def work() -> None:
            try:
                loop.run_until_complete(self.serve(out.put, stop))
            except BaseException as exc:  # handed to the consumer below
                failure.append(exc)
            finally:
                out.put(_END)

        thread = threading.Thread(target=work, name=f"feed-{self.name}", daemon=True)
        thread.start()
        try:
            while (item := out.get()) is not _END:
                yield item  # type: ignore[misc]
            if failure:
                raise failure[0]
        finally:
            loop.call_soon_threadsafe(stop.set)
            thread.join(timeout=10)
            if not thread.is_alive():
                loop.close()

    # -- mapping -------------------------------------------------------------------------------------------
    def _on_messages(self, messages: list[WebSocketMessage]) -> None:
        handler = self._handler
        if handler is None:
            raise PolygonError("events arrived outside run()")
        received = self.now()
        for m in messages:
            event: MarketEvent | None
            if isinstance(m, EquityTrade):
                event = self._tick(m, received)
            elif isinstance(m, EquityQuote):
                event = self._quote(m, received)
            elif isinstance(m, EquityAgg):
                event = self._bar(m)
            else:
                event = None
            if event is not None:
                self._seen(event)
                handler(event)

    def _tick(self, m: EquityTrade, received: datetime) -> MarketEvent | None:
        if m.symbol is None or m.timestamp is None or m.price is None or m.size is None:
            log.warning("polygon.incomplete_trade", symbol=m.symbol, sequence=m.sequence_number)
            return None
        for code in unknown_codes(m.conditions):
            if code not in self._unknown_codes:
                self._unknown_codes.add(code)
                log.warning("polygon.unknown_condition", code=code, symbol=m.symbol,
                            treated_as="volume only (no OHLC)")
        tick = tick_of(m.symbol, m.timestamp, m.price, m.size, exchange_id=m.exchange, conditions=m.conditions,
                       sequence=m.sequence_number, trade_id=m.id, received=received, fractional=m.fractional_shares)
        if tick is None:
            self.not_trades[m.symbol] = self.not_trades.get(m.symbol, 0) + 1
            log.info("polygon.not_a_trade", symbol=m.symbol, conditions=m.conditions, price=m.price, size=m.size,
                     ts=epoch_utc(m.timestamp).isoformat())
        return tick

    def _quote(self, m: EquityQuote, received: datetime) -> MarketEvent | None:
        if m.symbol is None or m.timestamp is None or m.bid_price is None or m.ask_price is None:
            log.warning("polygon.incomplete_quote", symbol=m.symbol, sequence=m.sequence_number)
            return None
        return quote_of(m.symbol, m.timestamp, m.bid_price, m.bid_size or 0, m.ask_price, m.ask_size or 0,
                        lot_shares=self.config.quote_lot_shares, received=received)

    def _bar(self, m: EquityAgg) -> Bar | None:
        if m.event_type != "AM":  # per-second aggregates are not subscribed; ignore them if they come
            return None
        if (m.symbol is None or m.start_timestamp is None or m.end_timestamp is None or m.open is None
                or m.high is None or m.low is None or m.close is None):
            log.warning("polygon.incomplete_bar", symbol=m.symbol, start=m.start_timestamp)
            return None
        volume = float(m.fractional_volume) if m.fractional_volume else float(m.volume or 0)
        return bar_of(m.symbol, "1m", epoch_utc(m.start_timestamp), epoch_utc(m.end_timestamp), m.open, m.high,
                      m.low, m.close, volume, trades_in(volume, m.average_size), self.calendar, otc=bool(m.otc))
