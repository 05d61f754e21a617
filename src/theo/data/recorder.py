"""Recorder: batched writes of gated ticks, closed bars, quarantined ticks and feed events.

Ticks are buffered and written in batches (``COPY`` on PostgreSQL through the storage writer). The writer
numbers same-timestamp prints (``seq``) within one call, so a timestamp group split over two calls would
collide on the primary key. Each batch therefore holds back the ticks of the last ``hold`` (the gate's
out-of-order tolerance): a later tick, even out of order, can only join a group still in the buffer.

Backfilled minutes (1-minute bars flagged ``backfill``, forwarded by the fail-over supervisor and published on
``bars.1m.<SYM>`` like any bar) reach :meth:`Recorder.on_bar` and are written with the other bars. The
database store's ``write_bars`` then rebuilds, in the same transaction, every stored higher-timeframe bar
that holds a backfilled minute, including those written later (the 5m bar or the day still open when the
backfill came), see :func:`theo.persistence.writer.correct_backfilled`. Doing it in the store rather than
here keeps it right through the collector's spool: a backfill spooled during an outage corrects the bars
when it is replayed, after the bars written before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

import numpy as np

from theo.core.bus import MessageBus, Subscription
from theo.core.time import to_us
from theo.data.failover.events import FeedEventKind, FeedsAvailable, FeedsUnavailable, FeedSwitched
from theo.data.files import TickColumns
from theo.data.gate import FeedResumed, FeedStale
from theo.data.quarantine import QuarantineItem
from theo.data.rejection import Rejection
from theo.model.market import Bar, Tick


class RecordingStore(Protocol):
    """Where the recorder writes: ticks and bars (idempotently), the quarantine and feed events."""

    def write_ticks(self, ticks: TickColumns, source: str) -> int:
        """Store ticks (one already stored is kept); return how many were new."""
        ...

    def write_bars(self, bars: Sequence[Bar], source: str) -> int:
        """Store bars (one already stored is kept, an empty one replaced by one with trades) and rebuild the
        stored higher-timeframe bars holding a backfilled minute; return how many bars were new."""
        ...

    def write_quarantine(self, items: Sequence[QuarantineItem]) -> int:
        """Keep rejected input with its reason; return how many items were added."""
        ...

    def write_feed_event(self, ts: datetime, kind: str, symbol: str, source: str, since: datetime | None,
                         detail: str) -> None:
        """Keep one feed event (a :class:`~theo.data.failover.events.FeedEventKind`)."""
        ...


class Recorder:
    """Persist the market-data stream; call :meth:`flush` at shutdown (and it flushes by size)."""

    def __init__(self, store: RecordingStore, *, batch: int = 10_000, store_bars: bool = True,
                 hold: timedelta = timedelta(seconds=2)) -> None:
        self.store = store
        self.hold = hold
        self.batch = batch
        self.store_bars = store_bars
        self._ticks: dict[tuple[str, str], list[Tick]] = {}
        self._limit: dict[tuple[str, str], int] = {}
        self._bars: list[Bar] = []
        self._quarantine: list[Rejection] = []
        self._subs: list[Subscription] = []
        self.written = {"ticks": 0, "bars": 0, "quarantine": 0, "feed_events": 0}

    def attach(self, bus: MessageBus) -> None:
        """Record every bar and feed event published on ``bus``."""
        self._subs.append(bus.subscribe("bars.>", lambda _t, m: self.on_bar(m)))
        self._subs.append(bus.subscribe("feed.*", lambda t, m: self.on_feed_event(t, m)))

    def detach(self, bus: MessageBus) -> None:
        for sub in self._subs:
            bus.unsubscribe(sub)
        self._subs.clear()

    def on_tick(self, tick: Tick) -> None:
        buf = self._ticks.setdefault((tick.symbol, tick.source), [])
        buf.append(tick)
        key = (tick.symbol, tick.source)
        if len(buf) >= self._limit.get(key, self.batch):
            self._write_ticks(tick.symbol, tick.source, final=False)
            self._limit[key] = len(self._ticks[key]) + self.batch  # what was held back waits one more batch

    def on_bar(self, bar: Bar) -> None:
        if not self.store_bars:
            return
        self._bars.append(bar)
        if len(self._bars) >= 1000:
            self._write_bars()

    def on_quarantine(self, rejection: Rejection) -> None:
        self._quarantine.append(rejection)
        if len(self._quarantine) >= 1000:
            self._write_quarantine()

    def on_feed_event(self, topic: str, event: Any) -> None:
        """Keep a feed event: the gate's stale/resumed, the supervisor's switches and outages (with why)."""
        if isinstance(event, FeedSwitched):
            kind, detail = event.kind, f"{topic}: from {event.previous}; {event.reason}"
        elif isinstance(event, FeedsUnavailable):
            kind, detail = FeedEventKind.UNAVAILABLE, f"{topic}: {event.reason}"
        elif isinstance(event, FeedsAvailable):
            kind, detail = FeedEventKind.AVAILABLE, topic
        elif isinstance(event, FeedStale | FeedResumed):
            kind = FeedEventKind.STALE if isinstance(event, FeedStale) else FeedEventKind.RESUMED
            detail = topic
        else:
            return
        self.store.write_feed_event(event.at, kind.value, event.symbol, event.source, event.since, detail)
        self.written["feed_events"] += 1

    def flush_ready(self) -> None:
        """Write what can be written now: every buffered tick but those of the last ``hold`` of their stream
        (a later tick may still join their timestamp), and the buffered bars and quarantine. A long-running
        recorder calls this every second or so, which bounds what a crash can take with it."""
        for symbol, source in list(self._ticks):
            self._write_ticks(symbol, source, final=False)
            self._limit[(symbol, source)] = len(self._ticks[(symbol, source)]) + self.batch
        self._write_bars()
        self._write_quarantine()

    def pending_ticks(self) -> int:
        """Ticks buffered and not yet handed to the store."""
        return sum(len(buf) for buf in self._ticks.values())

    def flush(self) -> None:
        """Write everything buffered."""
        for symbol, source in list(self._ticks):
            self._write_ticks(symbol, source, final=True)
        self._write_bars()
        self._write_quarantine()

    def _write_ticks(self, symbol: str, source: str, *, final: bool) -> None:
        buf = self._ticks.get((symbol, source), [])
        if not buf:
            return
        if not final:
            buf.sort(key=lambda t: t.ts)  # stable: arrival order kept within a timestamp
            keep_from = buf[-1].ts - self.hold
            cut = len(buf)
            while cut > 0 and buf[cut - 1].ts >= keep_from:
                cut -= 1
            out, self._ticks[(symbol, source)] = buf[:cut], buf[cut:]
        else:
            out, self._ticks[(symbol, source)] = buf, []
        if not out:
            return
        cols = TickColumns(symbol, np.array([to_us(t.ts) for t in out], dtype=np.int64),
                           np.array([t.price for t in out], dtype=float), np.array([t.size for t in out], dtype=float),
                           np.array([t.exchange for t in out], dtype=object),
                           np.array([t.condition for t in out], dtype=object), np.zeros(len(out), dtype=bool),
                           np.zeros(len(out), dtype=np.int64))
        self.written["ticks"] += self.store.write_ticks(cols, source)

    def _write_bars(self) -> None:
        if not self._bars:
            return
        by_source: dict[str, list[Bar]] = {}
        for b in self._bars:
            by_source.setdefault(b.source, []).append(b)
        self._bars = []
        for source, bars in by_source.items():
            self.written["bars"] += self.store.write_bars(bars, source)

    def _write_quarantine(self) -> None:
        if not self._quarantine:
            return
        items = [r.to_quarantine_item() for r in self._quarantine]
        self._quarantine = []
        self.written["quarantine"] += self.store.write_quarantine(items)

