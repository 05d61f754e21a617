"""Historical bars from TWS: paced requests, chunking by IBKR's duration limits, kept-up-to-date series.

Every request goes through the :class:`~theo.adapters.ibkr.pacing.HistoryPacer`; a pacing violation (162
"pacing violation", 420) blocks all requests for the back-off and the request is asked again. A range longer
than one request may cover is cut into chunks (:func:`chunks`) aligned to America/New_York midnights, so a
re-run asks for the same chunks and a download can skip the ones it already has.

Only bar sizes whose IBKR buckets coincide with Theo's are offered: seconds, minutes dividing 30 (IBKR and
Theo both count them from the clock, and 09:30 is on every such boundary) and one bar per regular session.
IBKR's hourly bars start on the clock hour (09:00-10:00 holds 09:30-10:00 only), Theo's at 09:30, so hours
are rolled up from minute bars instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from ib_async import IB, BarData, BarDataList, Contract

from theo.adapters.ibkr.errors import IbError, IbkrError, Kind
from theo.adapters.ibkr.pacing import HistoryPacer
from theo.adapters.ibkr.requests import RequestErrors, fresh
from theo.core.calendar import ET, MarketCalendar
from theo.core.errors import ConfigError
from theo.core.logging import get_logger
from theo.model.market import Bar

log = get_logger("theo.ibkr.history")

#: Theo timeframe -> (IBKR bar size, longest request in seconds, IBKR duration of that request).
BAR_SIZES: dict[str, tuple[str, int, str]] = {
    "5s": ("5 secs", 3600, "3600 S"), "10s": ("10 secs", 14400, "14400 S"), "15s": ("15 secs", 14400, "14400 S"),
    "30s": ("30 secs", 28800, "28800 S"), "1m": ("1 min", 86400, "1 D"), "2m": ("2 mins", 2 * 86400, "2 D"),
    "3m": ("3 mins", 7 * 86400, "1 W"), "5m": ("5 mins", 7 * 86400, "1 W"), "10m": ("10 mins", 7 * 86400, "1 W"),
    "15m": ("15 mins", 7 * 86400, "1 W"), "30m": ("30 mins", 28 * 86400, "1 M"),
    "1d": ("1 day", 364 * 86400, "1 Y"),
}
WHAT_TO_SHOW = ("TRADES", "MIDPOINT", "BID", "ASK", "BID_ASK", "ADJUSTED_LAST", "HISTORICAL_VOLATILITY",
                "OPTION_IMPLIED_VOLATILITY")
MAX_ATTEMPTS = 6


def bar_size(timeframe: str) -> tuple[str, int, str]:
    """IBKR's bar size for a Theo timeframe, with the longest request; a clear error for the others."""
    found = BAR_SIZES.get(timeframe.strip())
    if found is None:
        raise ConfigError(f"bar size {timeframe!r} cannot be downloaded from IBKR as Theo bars; use one of "
                          f"{', '.join(BAR_SIZES)} (hours: download 1m or 30m and roll up with `theo data bars`)")
    return found


def chunks(start: datetime, end: datetime, timeframe: str) -> Iterator[tuple[datetime, datetime]]:
    """``[start, end)`` cut into request-sized windows aligned to ET midnights (UTC, in order)."""
    if end <= start:
        return
    step = timedelta(seconds=bar_size(timeframe)[1])
    local = start.astimezone(ET)
    at = datetime.combine(local.date(), time(0), tzinfo=ET)
    if step < timedelta(days=1):
        while at + step <= local:
            at += step
    while at < end:
        nxt = at + step if step < timedelta(days=1) else datetime.combine(
            (at + step).date(), time(0), tzinfo=ET)
        yield max(at, start).astimezone(UTC), min(nxt, end).astimezone(UTC)
        at = nxt


def duration_of(start: datetime, end: datetime, timeframe: str) -> str:
    """The IBKR duration that reaches back from ``end`` to ``start`` (at most one chunk)."""
    _, longest, duration = bar_size(timeframe)
    seconds = int((end - start).total_seconds())
    if seconds <= 86400 and longest <= 86400:
        return f"{max(seconds, 60)} S" if longest < 86400 else duration
    days = -(-seconds // 86400)
    return f"{days} D" if days <= 365 and longest != 364 * 86400 else duration


def to_bars(raw: list[BarData], symbol: str, timeframe: str, calendar: MarketCalendar,
            window: tuple[datetime, datetime] | None = None) -> list[Bar]:
    """IBKR's bars as Theo bars (inside ``window`` when given): daily bars span their regular session."""
    out: list[Bar] = []
    length = None if timeframe == "1d" else timedelta(seconds=_seconds(timeframe))
    for b in raw:
        if length is None:
            day = b.date if not isinstance(b.date, datetime) else b.date.astimezone(ET).date()
            session = calendar.session(day)
            if session is None:
                continue
            start, end, kind = session.open, session.close, calendar.session_kind(session.open)
        else:
            start = _aware(b.date)
            end = start + length
            kind = calendar.session_kind(start)
        if window is not None and not window[0] <= start < window[1]:
            continue
        out.append(Bar(symbol, timeframe, start, end, float(b.open), float(b.high), float(b.low), float(b.close),
                       float(b.volume) if b.volume is not None and float(b.volume) >= 0 else 0.0,
                       max(int(b.barCount or 0), 0), kind, "ibkr"))
    return out


def _span(timeframe: str) -> int:
    return 86400 if timeframe == "1d" else _seconds(timeframe)


def _seconds(timeframe: str) -> int:
    n, unit = int(timeframe[:-1]), timeframe[-1]
    return n * {"s": 1, "m": 60, "h": 3600}[unit]


def _aware(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return datetime.combine(value, time(0), tzinfo=ET).astimezone(UTC)


@dataclass
class HistorySubscription:
    """A kept-up-to-date series (``keepUpToDate``): completed bars go to the handler, resent after a reconnect."""

    symbol: str
    contract: Contract
    timeframe: str
    what_to_show: str
    use_rth: bool
    handler: Callable[[Bar], None]
    last_start: datetime | None = None
    bars: BarDataList | None = field(default=None, repr=False)


class History:
    """Paced historical-data requests on one session's client."""

    def __init__(self, ib: IB, errors: RequestErrors, pacer: HistoryPacer, calendar: MarketCalendar,
                 timeout: float, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.ib = ib
        self.now = now
        self.errors = errors
        self.pacer = pacer
        self.calendar = calendar
        self.timeout = timeout
        self.requests = 0  # sent, retries included
        self.violations = 0
        self.subscriptions: list[HistorySubscription] = []

    async def request(self, contract: Contract, symbol: str, end: datetime | str, duration: str, timeframe: str,
                      what_to_show: str = "TRADES", use_rth: bool = False, *,
                      keep_up_to_date: bool = False) -> BarDataList:
        """One paced request, retried after pacing violations; raises :class:`IbkrError` when refused."""
        if what_to_show not in WHAT_TO_SHOW:
            raise ConfigError(f"what_to_show {what_to_show!r} is not one of {', '.join(WHAT_TO_SHOW)}")
        size = bar_size(timeframe)[0]
        key = (contract.conId or contract.symbol, contract.secType, contract.lastTradeDateOrContractMonth,
               contract.exchange, what_to_show)
        ask = (key, str(end), duration, size, use_rth)
        for _attempt in range(MAX_ATTEMPTS):
            await self.pacer.acquire(key, ask)
            c = fresh(contract)
            self.requests += 1
            began = asyncio.get_running_loop().time()
            with self.errors.watch(c) as errs:
                bars = await self.ib.reqHistoricalDataAsync(
                    c, "" if keep_up_to_date else end, duration, size, what_to_show, use_rth, formatDate=2,
                    keepUpToDate=keep_up_to_date, timeout=self.timeout)
            problem = _problem(errs)
            if problem is None:
                waited = asyncio.get_running_loop().time() - began
                if not bars and not keep_up_to_date and waited >= self.timeout:
                    raise IbkrError(f"historical {timeframe} bars of {symbol}: TWS did not answer within "
                                    f"{self.timeout:g} s")
                self.pacer.succeeded()
                return bars
            if problem.kind is Kind.PACING:
                self.violations += 1
                wait = self.pacer.violation(ask)
                log.warning("ibkr.pacing_violation", symbol=symbol, code=problem.code, backoff_s=wait)
                continue
            if problem.kind is Kind.NO_DATA:
                self.pacer.succeeded()
                return bars
            raise IbkrError(f"historical {timeframe} bars of {symbol} refused: {problem}")
        raise IbkrError(f"historical {timeframe} bars of {symbol}: TWS kept reporting pacing violations after "
                        f"{MAX_ATTEMPTS} attempts; wait a few minutes and try again")

    async def bars(self, contract: Contract, symbol: str, timeframe: str, start: datetime, end: datetime,
                   what_to_show: str = "TRADES", use_rth: bool = False) -> list[Bar]:
        """Bars starting in ``[start, end)``, one paced request per chunk."""
        out: list[Bar] = []
        for a, b in chunks(start, end, timeframe):
            out.extend(await self.chunk(contract, symbol, timeframe, a, b, what_to_show, use_rth))
        return out

    async def chunk(self, contract: Contract, symbol: str, timeframe: str, start: datetime, end: datetime,
                    what_to_show: str = "TRADES", use_rth: bool = False) -> list[Bar]:
        raw = await self.request(contract, symbol, end, duration_of(start, end, timeframe), timeframe,
                                 what_to_show, use_rth)
        return to_bars(list(raw), symbol, timeframe, self.calendar, (start, end))

    # -- kept up to date -----------------------------------------------------------------------------------
    async def subscribe(self, sub: HistorySubscription, duration: str = "1800 S") -> None:
        """Start (or restart, after a reconnect) a kept-up-to-date series; bars missed meanwhile are delivered
        (a restart reaches back to the last delivered bar, as far as one request may)."""
        if sub not in self.subscriptions:
            self.subscriptions.append(sub)
        if sub.last_start is not None:
            gap = int((self.now() - sub.last_start).total_seconds()) + 2 * _span(sub.timeframe)
            duration = f"{min(max(gap, 60), bar_size(sub.timeframe)[1])} S"
        bars = await self.request(sub.contract, sub.symbol, "", duration, sub.timeframe, sub.what_to_show,
                                  sub.use_rth, keep_up_to_date=True)
        sub.bars = bars
        self._deliver(sub, list(bars)[:-1])  # the last bar is still forming

        def on_update(updated: BarDataList, has_new_bar: bool, sub: HistorySubscription = sub) -> None:
            if has_new_bar and len(updated) >= 2:
                self._deliver(sub, [updated[-2]])

        bars.updateEvent += on_update

    def _deliver(self, sub: HistorySubscription, raw: list[BarData]) -> None:
        for bar in to_bars(raw, sub.symbol, sub.timeframe, self.calendar):
            if sub.last_start is None or bar.start > sub.last_start:
                sub.last_start = bar.start
                sub.handler(bar)

    async def restore(self, reconnect: bool) -> None:
        """Send every kept-up-to-date series again (after a reconnect or 1101)."""
        for sub in list(self.subscriptions):
            if not reconnect and sub.bars is not None:
                self.ib.cancelHistoricalData(sub.bars)
            await self.subscribe(sub)

    def unsubscribe(self, symbol: str) -> None:
        for sub in [s for s in self.subscriptions if s.symbol == symbol]:
            if sub.bars is not None and self.ib.isConnected():
                self.ib.cancelHistoricalData(sub.bars)
            self.subscriptions.remove(sub)


def _problem(errs: list[IbError]) -> IbError | None:
    for err in errs:
        if err.kind not in (Kind.WARNING, Kind.DELAYED):
            return err
    return None
