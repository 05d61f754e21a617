"""Polygon / Massive REST history: aggregates for gap backfill and downloads, trades of a window.

The interface the feed supervisor's gap backfill calls (keep it stable)::

    history = PolygonHistory(config.polygon)
    bars = history.aggregates("SPY", start, end)                 # 1-minute bars starting in [start, end)
    bars = history.aggregates("SPY", start, end, timespan="minute", multiplier=5, adjusted=False)
    bars = await history.aggregates_async("SPY", start, end)     # the same on a worker thread
    ticks = history.trades("SPY", start, end)                   # every print in [start, end)

``start``/``end`` are aware datetimes (UTC inside); the result is sorted by time, one bar per start, with
``source="polygon"``. ``adjusted`` is explicit and **off by default**: Theo stores raw prices and adjusts on
read, so a backfilled bar must be as raw as the live feed's ticks; ``adjusted=True`` asks Polygon for
split-adjusted bars and flags each ``"adjusted"`` so they are never taken for raw ones. Backfilled trades have
the same ``trade_id`` (sequence number, exchange, trade id) as on the socket, so a print the feed already
delivered is dropped by the quality gate.

The calls block (the ``massive`` REST client is urllib3): from a coroutine use the ``*_async`` forms. Pages
are followed through ``next_url``. A 429 (rate limit) or 5xx answer is retried up to ``[polygon] rest_retries``
times, waiting the server's ``Retry-After`` (at most ``rest_retry_after_max_seconds``) or an exponential
back-off from ``rest_backoff_seconds``; every retry is logged. A page that still fails raises
:class:`~theo.adapters.polygon.errors.PolygonRestError` (a refused key: ``PolygonAuthError``), never a
silently shorter series.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

from massive import RESTClient
from massive.exceptions import BadResponse
from urllib3.exceptions import HTTPError, MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from theo.adapters.polygon.config import PolygonConfig
from theo.adapters.polygon.errors import PolygonAuthError, PolygonRestError, redact
from theo.adapters.polygon.parsing import bar_of, bar_span, epoch_utc, tick_of, timeframe_of
from theo.core.calendar import MarketCalendar, get_calendar
from theo.core.errors import ConfigError
from theo.core.logging import get_logger
from theo.model.market import Bar, Tick, ensure_utc

log = get_logger("theo.polygon")
RETRY_STATUSES = (429, 500, 502, 503, 504)


class _LoggedRetry(Retry):
    """urllib3's retry policy, logging each retry (status or error, and how many are left)."""

    def increment(self, method: str | None = None, url: str | None = None, response: Any = None,
                  error: Exception | None = None, _pool: Any = None, _stacktrace: Any = None) -> _LoggedRetry:
        nxt = super().increment(method, url, response, error, _pool, _stacktrace)
        status = getattr(response, "status", None)
        log.warning("polygon.rest_retry", path=(url or "").split("?", 1)[0], status=status,
                    error=type(error).__name__ if error is not None else "",
                    retry_after=response.headers.get("Retry-After") if response is not None else None,
                    retries_left=nxt.total)
        return nxt


class PolygonHistory:
    """REST aggregates and trades (see the module docstring)."""

    def __init__(self, config: PolygonConfig | None = None, *, calendar: MarketCalendar | None = None) -> None:
        self.config = config or PolygonConfig()
        self.calendar = calendar or get_calendar()
        self._key = ""
        self._client: RESTClient | None = None
        self.requests = 0

    def client(self) -> RESTClient:
        """The ``massive`` REST client (made on first use, with the key from the environment)."""
        if self._client is None:
            cfg = self.config
            self._key = cfg.api_key()
            retry = _LoggedRetry(total=cfg.rest_retries, connect=cfg.rest_retries, read=cfg.rest_retries,
                                 status=cfg.rest_retries, status_forcelist=RETRY_STATUSES,
                                 backoff_factor=cfg.rest_backoff_seconds, allowed_methods=["GET"],
                                 respect_retry_after_header=True, retry_after_max=cfg.rest_retry_after_max_seconds,
                                 raise_on_status=True)
            self._client = RESTClient(api_key=self._key, base=cfg.rest_url, connect_timeout=cfg.rest_timeout_seconds,
                                      read_timeout=cfg.rest_timeout_seconds, retries=cfg.rest_retries,
                                      connection_pool_kw={"retries": retry})
        return self._client

    # -- aggregates ----------------------------------------------------------------------------------------
    def aggregates(self, symbol: str, start: datetime, end: datetime, timespan: str = "minute",
                   multiplier: int = 1, *, adjusted: bool = False) -> list[Bar]:
        """Bars of ``symbol`` starting in ``[start, end)``: ``multiplier`` × ``timespan`` (``second`` with a
        divisor of 60, ``minute`` with a divisor of 30: the sizes whose buckets are Theo's), raw unless
        ``adjusted``. Other sizes raise a :class:`ConfigError`."""
        try:
            timeframe = timeframe_of(timespan, multiplier)
        except ValueError as exc:
            raise ConfigError(f"Polygon aggregates of {symbol}: {exc}") from None
        a, b = ensure_utc(start, "start"), ensure_utc(end, "end")
        if b <= a:
            return []
        key = symbol.strip().upper()
        what = f"Polygon aggregates of {key} {timeframe} {a.isoformat()}..{b.isoformat()}"
        rows = self._pages(what, lambda c: c.list_aggs(
            key, multiplier, timespan, int(a.timestamp() * 1000), int(b.timestamp() * 1000) - 1,
            adjusted=adjusted, sort="asc", limit=self.config.rest_page_limit))
        flags = frozenset({"adjusted"}) if adjusted else frozenset()
        bars: dict[datetime, Bar] = {}
        for agg in rows:
            if agg.timestamp is None or None in (agg.open, agg.high, agg.low, agg.close):
                log.warning("polygon.incomplete_aggregate", symbol=key, t=agg.timestamp)
                continue
            span = bar_span(epoch_utc(agg.timestamp), timeframe)
            if not a <= span[0] < b:
                continue
            bar = bar_of(key, timeframe, span[0], span[1], agg.open, agg.high, agg.low, agg.close,
                         float(agg.volume or 0), int(agg.transactions or 0), self.calendar, otc=bool(agg.otc),
                         flags=flags)
            bars[bar.start] = bar
        log.info("polygon.aggregates", symbol=key, timeframe=timeframe, bars=len(bars), adjusted=adjusted)
        return [bars[k] for k in sorted(bars)]

    async def aggregates_async(self, symbol: str, start: datetime, end: datetime, timespan: str = "minute",
                               multiplier: int = 1, *, adjusted: bool = False) -> list[Bar]:
        """:meth:`aggregates` on a worker thread (the event loop keeps running during the requests)."""
        return await asyncio.to_thread(self.aggregates, symbol, start, end, timespan, multiplier, adjusted=adjusted)

    # -- trades --------------------------------------------------------------------------------------------
    def trades(self, symbol: str, start: datetime, end: datetime) -> list[Tick]:
        """Every print of ``symbol`` in ``[start, end)`` as ticks (conditions mapped as on the socket; prints that
        are not trades, such as official opens and closes, are left out)."""
        a, b = ensure_utc(start, "start"), ensure_utc(end, "end")
        key = symbol.strip().upper()
        what = f"Polygon trades of {key} {a.isoformat()}..{b.isoformat()}"
        rows = self._pages(what, lambda c: c.list_trades(key, timestamp_gte=a, timestamp_lt=b,
                                                         limit=self.config.rest_page_limit, sort="timestamp",
                                                         order="asc"))
        out: list[Tick] = []
        for t in rows:
            if t.sip_timestamp is None or t.price is None or t.size is None:
                log.warning("polygon.incomplete_trade", symbol=key, sequence=t.sequence_number)
                continue
            tick = tick_of(key, t.sip_timestamp, t.price, t.size, exchange_id=t.exchange, conditions=t.conditions,
                           sequence=t.sequence_number, trade_id=t.id, received=None, fractional=t.decimal_size)
            if tick is not None:
                out.append(tick)
        out.sort(key=lambda t: t.ts)
        return out

    async def trades_async(self, symbol: str, start: datetime, end: datetime) -> list[Tick]:
        return await asyncio.to_thread(self.trades, symbol, start, end)

    # -- requests ------------------------------------------------------------------------------------------
    def _pages(self, what: str, call: Any) -> list[Any]:
        """Every result of a paginated call, or a readable error (the key redacted)."""
        client = self.client()
        self.requests += 1
        try:
            return list(call(client))
        except MaxRetryError as exc:
            status = "rate limited (429)" if _rate_limited(exc) else redact(str(exc.reason), self._key)
            raise PolygonRestError(f"{what}: {status} after {self.config.rest_retries} retries; try again later "
                                   f"or raise [polygon] rest_retries") from None
        except BadResponse as exc:
            body = redact(str(exc), self._key)
            if _status_of(body) == "NOT_AUTHORIZED":
                raise PolygonAuthError(f"{what}: the API key from ${self.config.key_source()} was refused "
                                       f"({body[:200]})") from None
            raise PolygonRestError(f"{what}: the server answered {body[:300]}") from None
        except (HTTPError, OSError) as exc:
            raise PolygonRestError(f"{what}: {redact(str(exc), self._key)}") from None


def _rate_limited(exc: MaxRetryError) -> bool:
    """Whether the retries ran out on 429 answers: urllib3's own ``ResponseError`` for that status, not any
    reason whose text holds "429" (a read timeout names the host and port, and port 42913 is as likely as any)."""
    return isinstance(exc.reason, ResponseError) and \
        str(exc.reason) == ResponseError.SPECIFIC_ERROR.format(status_code=429)


def _status_of(body: str) -> str:
    try:
        parsed = json.loads(body)
    except ValueError:
        return ""
    return str(parsed.get("status", "")) if isinstance(parsed, dict) else ""

