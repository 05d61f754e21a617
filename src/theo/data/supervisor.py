"""Automatic fail-over between two feeds, per symbol, with provenance.

:class:`FeedSupervisor` is a :class:`~theo.data.feeds.base.Feed` made of a primary and a secondary feed, so
whatever takes a feed (the live run, the collector) gets fail-over by passing one. Both feeds stay
subscribed; each symbol is forwarded from one of them (its *route*, :mod:`theo.data.failover.merge`):

* the supervisor looks at every subscribed symbol's freshness while its market is open (the exchange
  calendar; ``[feeds] extended_hours`` adds pre/post market): a feed is *stale* for a symbol after
  ``stale_after_seconds`` (per symbol) without an event, or at once when its connection is down;
* a symbol whose primary is stale moves to a fresh secondary (``feed.failover``): the secondary's prints held
  since the primary's last one are forwarded first, the seam dropping what the primary already forwarded,
  and whole minutes the two feeds both missed are backfilled from the secondary's REST aggregates
  (:mod:`theo.data.failover.backfill`);
* it moves back (``feed.failback``) once the primary has been fresh for ``failback_after_seconds``, or at once
  when the secondary goes stale too;
* when no feed is fresh for a symbol, ``feed.unavailable`` is published (``feed.available`` when one is
  again): the engine's guard then stops new entries (:mod:`theo.node.feed_guard`).

Every event keeps the ``source`` of the feed that delivered it. ``run`` works on the wall clock (freshness by
arrival time); ``events`` merges two replays by event time and applies the same rules at event time, which
is how the rules are tested deterministically.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from theo.core.bus import MessageBus
from theo.core.calendar import MarketCalendar
from theo.core.errors import FeedError
from theo.core.logging import get_logger
from theo.data.failover.backfill import Backfill, gap_bars, whole_minutes
from theo.data.failover.config import FeedsConfig
from theo.data.failover.events import FeedEventKind, FeedsAvailable, FeedsUnavailable, FeedSwitched
from theo.data.failover.merge import Route
from theo.data.feeds.base import EventHandler, Feed, FeedHealth, MarketEvent, event_time
from theo.data.latency import LatencyMonitor
from theo.model.market import Bar, Tick

log = get_logger("theo.data.supervisor")


class FeedSupervisor(Feed):
    """A primary and a secondary feed behind one :class:`Feed` (see the module docstring)."""

    def __init__(self, primary: Feed, secondary: Feed, config: FeedsConfig,
                 calendar_for: Callable[[str], MarketCalendar], *, bus: MessageBus | None = None,
                 backfill: Backfill | None = None, latency: LatencyMonitor | None = None,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        """``latency`` measures the standby feed's prints (the pipeline measures those it is handed)."""
        if primary.name == secondary.name:
            raise FeedError(f"the primary and the secondary feed are both named {primary.name!r}")
        super().__init__(f"{primary.name}+{secondary.name}")
        self.primary, self.secondary = primary, secondary
        self.config = config
        self.calendar_for = calendar_for
        self.bus = bus
        self.backfill = backfill
        self.latency = latency
        self.now = now
        self.routes: dict[str, Route] = {}
        self.switches: Counter[FeedEventKind] = Counter()
        self.backfilled = 0  # bars forwarded from the backfill
        self._arrived: dict[str, dict[str, datetime]] = {primary.name: {}, secondary.name: {}}
        self._handler: EventHandler = lambda event: None
        self._started: datetime | None = None
        self._checked: datetime | None = None
        self._realtime = False
        self._tasks: set[asyncio.Future[Any]] = set()
        self._resolution_us = config.match_resolution_ms * 1000

    # -- the Feed interface ------------------------------------------------------------------------------
    def connect(self) -> None:
        self.primary.connect()
        self.secondary.connect()
        super().connect()

    def disconnect(self) -> None:
        self.primary.disconnect()
        self.secondary.disconnect()
        super().disconnect()

    def subscribe(self, symbols: Any) -> None:
        names = [s.strip().upper() for s in symbols]
        super().subscribe(names)
        self.primary.subscribe(names)
        self.secondary.subscribe(names)
        longest = max([self.config.stale_after(s) for s in self._subscribed] or [self.config.stale_after_seconds])
        window_us = int((2 * longest + 10) * 1_000_000)  # the standby prints a switch may need
        for s in names:
            if s not in self.routes:
                self.routes[s] = Route(s, self.primary.name, self._resolution_us, window_us)

    def unsubscribe(self, symbols: Any) -> None:
        names = [s.strip().upper() for s in symbols]
        super().unsubscribe(names)
        self.primary.unsubscribe(names)
        self.secondary.unsubscribe(names)
        for s in names:
            self.routes.pop(s, None)

    def health(self) -> FeedHealth:
        p, s = self.primary.health(), self.secondary.health()
        error = "; ".join(f"{h.name}: {h.error}" for h in (p, s) if h.error)
        return FeedHealth(self.name, p.connected or s.connected, self._last_event_at,
                          p.reconnects + s.reconnects, self._events, frozenset(self._subscribed), error)

    def events(self) -> Iterator[MarketEvent]:
        """Both feeds' events merged by event time, with the fail-over rules applied at event time."""
        self.connect()
        out: list[MarketEvent] = []
        self._handler = out.append
        names = (self.primary.name, self.secondary.name)
        merged = heapq.merge(((event_time(e), 0, e) for e in self.primary.events()),
                             ((event_time(e), 1, e) for e in self.secondary.events()), key=lambda x: (x[0], x[1]))
        for t, k, event in merged:
            if self._started is None:
                self._started = t
            if self._checked is None or (t - self._checked).total_seconds() >= self.config.check_every_seconds:
                self.check(t)
            self._take(names[k], event, t)
            yield from out
            out.clear()

    async def run(self, handler: EventHandler, stop: asyncio.Event) -> None:
        """Serve both feeds (each with its own reconnects) and watch freshness until ``stop`` or both end."""
        self._handler = handler
        self._realtime = True
        self._started = self.now()
        inner = asyncio.Event()
        feeds = [asyncio.ensure_future(self._serve(f, inner)) for f in (self.primary, self.secondary)]
        watch = asyncio.ensure_future(self._watch(inner))
        stopping: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
        both: asyncio.Future[Any] = asyncio.gather(*feeds)
        try:
            await asyncio.wait([stopping, both], return_when=asyncio.FIRST_COMPLETED)
        finally:
            inner.set()
            stopping.cancel()
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await both
            for task in list(self._tasks):
                task.cancel()

    async def _serve(self, feed: Feed, stop: asyncio.Event) -> None:
        try:
            await feed.serve(lambda event: self._take(feed.name, event, self.now()), stop)
        except Exception as exc:  # it gave up reconnecting, or could not subscribe: the other feed carries on
            log.error("feed.gave_up", feed=feed.name, error=f"{type(exc).__name__}: {exc}")
            self._alert("critical", f"feed {feed.name} stopped ({type(exc).__name__}: {exc}); its symbols stay on "
                                    f"the other feed while that one is fresh")

    async def _watch(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.config.check_every_seconds)
            self.check(self.now())

    # -- events --------------------------------------------------------------------------------------------
    def _take(self, source: str, event: MarketEvent, arrival: datetime) -> None:
        symbol = event.symbol
        self._arrived[source][symbol] = arrival
        r = self.routes.get(symbol)
        if r is None:
            return
        if r.dark_since is not None:
            self._check_symbol(r, arrival)  # the first sign of life ends the outage at once
        if isinstance(event, Tick):
            if source == r.active:
                self._forward(r, event)
            else:
                r.hold(source, event)
                if self.latency is not None and event.received is not None:
                    self.latency.record(source, symbol, event.ts, event.received)
        elif source == r.active:
            self._seen(event)
            self._handler(event)

    def _forward(self, r: Route, tick: Tick) -> None:
        if not r.admit(tick):
            return
        if r.pending_gap is not None:
            start, r.pending_gap = r.pending_gap, None
            self._fill(r.symbol, start, tick.ts)
        self._seen(tick)
        self._handler(tick)

    # -- freshness -----------------------------------------------------------------------------------------
    def check(self, now: datetime) -> None:
        """Look at every symbol's freshness at ``now`` and switch routes as the rules say."""
        self._checked = now
        for r in list(self.routes.values()):
            self._check_symbol(r, now)

    def _silence(self, feed: Feed, symbol: str, now: datetime, opened: datetime) -> float | None:
        """Seconds ``feed`` has been silent for ``symbol`` when that makes it stale (inf when down), else None."""
        if not feed.health().connected:
            return float("inf")
        last = self._arrived[feed.name].get(symbol) or self._started or now
        silent = (now - max(last, opened)).total_seconds()
        return silent if silent >= self.config.stale_after(symbol) else None

    def _check_symbol(self, r: Route, now: datetime) -> None:
        cal = self.calendar_for(r.symbol)
        session = cal.session_at(now) if cal.is_open(now, extended=self.config.extended_hours) else None
        if session is None:
            if r.dark_since is not None:
                self._lit(r, now, "")
            return
        opened = session.pre_open if self.config.extended_hours else session.open
        p, s = self.primary, self.secondary
        p_silent = self._silence(p, r.symbol, now, opened)
        s_silent = self._silence(s, r.symbol, now, opened)
        if p_silent is None:
            r.primary_ok_since = r.primary_ok_since or now
        else:
            r.primary_ok_since = None
        if r.active == p.name and p_silent is not None and s_silent is None:
            self._switch(r, s.name, FeedEventKind.FAILOVER, now, self._why(p, p_silent, r.symbol))
        elif r.active == s.name and p_silent is None and (s_silent is not None or (r.primary_ok_since is not None and (
                now - r.primary_ok_since).total_seconds() >= self.config.failback_after_seconds)):
            why = (self._why(s, s_silent, r.symbol) if s_silent is not None else
                   f"{p.name} fresh for {self.config.failback_after_seconds:g} s")
            self._switch(r, p.name, FeedEventKind.FAILBACK, now, why)
        if p_silent is not None and s_silent is not None:
            if r.dark_since is None:
                self._dark(r, now, f"{self._why(p, p_silent, r.symbol)}; {self._why(s, s_silent, r.symbol)}")
        elif r.dark_since is not None:
            self._lit(r, now, r.active)

    def _why(self, feed: Feed, silent: float, symbol: str) -> str:
        if silent == float("inf"):
            error = feed.health().error
            return f"{feed.name} is disconnected" + (f" ({error})" if error else "")
        return f"no data from {feed.name} for {silent:.1f} s (stale after {self.config.stale_after(symbol):g} s)"

    # -- switching -----------------------------------------------------------------------------------------
    def _switch(self, r: Route, to: str, kind: FeedEventKind, now: datetime, reason: str) -> None:
        previous = r.active
        held = r.switch(to)
        event = FeedSwitched(kind, r.symbol, to, previous, r.pending_gap, now, reason)
        self.switches[kind] += 1
        log.warning("feed.switched", kind=kind.value, symbol=r.symbol, to=to, previous=previous, reason=reason,
                    last_print=r.pending_gap.isoformat() if r.pending_gap else None, held=len(held))
        self._publish(event.topic, event)
        for tick in held:
            self._forward(r, tick)

    def _dark(self, r: Route, now: datetime, reason: str) -> None:
        arrived = [a for a in (self._arrived[f].get(r.symbol) for f in self._arrived) if a is not None]
        r.dark_since = max(arrived, default=self._started or now)
        r.pending_gap = r.pending_gap or r.last_ts  # the hole in the forwarded stream starts at its last print
        log.error("feed.unavailable", symbol=r.symbol, since=r.dark_since.isoformat(), reason=reason)
        self._publish("feed.unavailable", FeedsUnavailable(r.symbol, r.active, r.dark_since, now, reason))

    def _lit(self, r: Route, now: datetime, source: str) -> None:
        since, r.dark_since = r.dark_since, None
        assert since is not None
        log.warning("feed.available", symbol=r.symbol, source=source or "market closed", since=since.isoformat())
        self._publish("feed.available", FeedsAvailable(r.symbol, source, since, now))

    def _fill(self, symbol: str, start: datetime, end: datetime) -> None:
        """Backfill the whole minutes of ``[start, end)`` from the secondary's aggregates."""
        span = whole_minutes(start, end)
        if span is None or self.backfill is None:
            return
        if not self._realtime:
            self._deliver_fill(symbol, span, self.backfill.aggregates(symbol, span[0], span[1]))
            return
        task = asyncio.ensure_future(asyncio.to_thread(self.backfill.aggregates, symbol, span[0], span[1]))
        self._tasks.add(task)
        task.add_done_callback(lambda t: self._filled(t, symbol, span))

    def _filled(self, task: asyncio.Future[list[Bar]], symbol: str, span: tuple[datetime, datetime]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("feed.backfill_failed", symbol=symbol, start=span[0].isoformat(), end=span[1].isoformat(),
                      error=str(exc))
            self._alert("warning", f"backfill of {symbol} {span[0].isoformat()} to {span[1].isoformat()} from "
                                   f"{self.secondary.name} failed: {exc}; those minutes have no bars")
            return
        self._deliver_fill(symbol, span, task.result())

    def _deliver_fill(self, symbol: str, span: tuple[datetime, datetime], bars: list[Bar]) -> None:
        out = gap_bars(bars, symbol, span, self.secondary.name)
        log.info("feed.backfilled", symbol=symbol, start=span[0].isoformat(), end=span[1].isoformat(), bars=len(out),
                 expected=int((span[1] - span[0]) / timedelta(minutes=1)))
        self.backfilled += len(out)
        for bar in out:
            self._seen(bar)
            self._handler(bar)

    # -- reporting -----------------------------------------------------------------------------------------
    def _publish(self, topic: str, message: object) -> None:
        if self.bus is not None:
            self.bus.publish(topic, message)

    def _alert(self, level: str, text: str) -> None:
        self._publish("alerts", {"level": level, "text": text, "source": "marketdata"})

    def status(self) -> dict[str, Any]:
        """What ``theo status`` and the metrics show: each symbol's feed, the switches, unserved symbols."""
        return {"active": {s: r.active for s, r in sorted(self.routes.items())},
                "primary": self.primary.name, "secondary": self.secondary.name,
                "failovers": self.switches[FeedEventKind.FAILOVER],
                "failbacks": self.switches[FeedEventKind.FAILBACK],
                "unavailable": sorted(s for s, r in self.routes.items() if r.dark_since is not None),
                "seam_dropped": sum(r.dropped for r in self.routes.values()), "backfilled_bars": self.backfilled}
