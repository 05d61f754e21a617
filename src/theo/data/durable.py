"""A recording store that survives a database outage: writes it cannot make go to the spool, in order.

:class:`SpoolingStore` sits between the :class:`~theo.data.recorder.Recorder` and the database's store and
keeps one rule: **the database receives the recorder's writes in the order they were made**. While the
database takes writes, they go straight to it. When a write fails because the database is unreachable
(``is_outage`` says so: a lost connection, a server that refuses connections, a SQLite file that cannot be
written), that write and every later one are appended to the spool (:mod:`theo.data.spool`, ``fsync``'d)
and the recorder carries on. :meth:`SpoolingStore.replay` (the collector calls it with back-off from a worker
thread) writes the spooled records to the database oldest first, committing its progress after each one;
once the spool is empty, new writes go to the database again. Any other error (a wrong schema, a bug)
is raised: spooling would only hide it.

Nothing twice: ticks are keyed (symbol, ts, seq) and a spooled batch is replayed as the identical batch, so
the store numbers its prints exactly as it would have, and bars are keyed (symbol, timeframe, start); both
writes skip rows already stored. A batch the database committed just as the connection dropped, or one
replayed again after a crash between its commit and the progress file's update, therefore adds nothing.
Quarantine rows and feed events have no natural key: the one such write in flight at the instant of an
outage may be stored twice if the database committed it without acknowledging it.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime

from theo.core.logging import get_logger
from theo.data.files import TickColumns
from theo.data.quarantine import QuarantineItem
from theo.data.recorder import RecordingStore
from theo.data.spool import Spool, SpoolRecord
from theo.data.spool_records import (
    FeedEventRecord,
    RecordKind,
    decode_bars,
    decode_feed_event,
    decode_quarantine,
    decode_ticks,
    encode_bars,
    encode_feed_event,
    encode_quarantine,
    encode_ticks,
)
from theo.model.market import Bar

log = get_logger("theo.data.durable")


class SpoolingStore:
    """A :class:`~theo.data.recorder.RecordingStore` that spools while the database is out (module docstring).

    Counters (per symbol, ticks): :attr:`stored` new rows the database took (directly or by replay),
    :attr:`spooled` ticks written to the spool, :attr:`replayed` ticks replayed from it, :attr:`known` ticks
    the database already held (written before, e.g. a replay of a batch it had committed); :attr:`bars` counts
    bars by the same three words.
    """

    def __init__(self, store: RecordingStore, spool: Spool, is_outage: Callable[[BaseException], bool]) -> None:
        self.store = store
        self.spool = spool
        self.is_outage = is_outage
        self.stored: Counter[str] = Counter()
        self.spooled: Counter[str] = Counter()
        self.replayed: Counter[str] = Counter()
        self.known: Counter[str] = Counter()  # ticks the database already had (a batch written twice adds nothing)
        self.bars: Counter[str] = Counter()
        self.outages = 0
        self.last_error = ""
        self._lock = threading.Lock()
        self._spooling = spool.pending()  # a spool left by an earlier run goes in before anything new

    @property
    def spooling(self) -> bool:
        """Whether writes go to the spool (the database is out, or the spool is not yet replayed)."""
        return self._spooling

    # -- RecordingStore ------------------------------------------------------------------------------------------
    def write_ticks(self, ticks: TickColumns, source: str) -> int:
        n = self._write(RecordKind.TICKS, lambda: self.store.write_ticks(ticks, source),
                        lambda: encode_ticks(ticks, source))
        if n is None:
            self.spooled[ticks.symbol] += len(ticks)
            return 0
        self.stored[ticks.symbol] += n
        self.known[ticks.symbol] += len(ticks) - n
        return n

    def write_bars(self, bars: Sequence[Bar], source: str) -> int:
        n = self._write(RecordKind.BARS, lambda: self.store.write_bars(bars, source), lambda: encode_bars(bars, source))
        self.bars["spooled" if n is None else "stored"] += len(bars) if n is None else n
        return n or 0

    def write_quarantine(self, items: Sequence[QuarantineItem]) -> int:
        n = self._write(RecordKind.QUARANTINE, lambda: self.store.write_quarantine(items),
                        lambda: encode_quarantine(items))
        return n or 0

    def write_feed_event(self, ts: datetime, kind: str, symbol: str, source: str, since: datetime | None,
                         detail: str) -> None:
        event = FeedEventRecord(ts, kind, symbol, source, since, detail)

        def write() -> int:
            self.store.write_feed_event(ts, kind, symbol, source, since, detail)
            return 1

        self._write(RecordKind.FEED_EVENT, write, lambda: encode_feed_event(event))

    # -- replay ------------------------------------------------------------------------------------------------
    def replay(self) -> bool:
        """Write the spooled records to the database, oldest first; return True once the spool is empty and
        new writes go to the database again, False when the database is still out (the rest stays spooled).

        Safe to run in a worker thread while the recorder appends from the event loop.
        """
        while True:
            with self._lock:
                record = self.spool.read_at(self.spool.committed())
                if record is None:
                    self.spool.reset()
                    if self._spooling:
                        log.info("collector.spool_replayed", spool=str(self.spool.path))
                    self._spooling = False
                    return True
            try:
                self._apply(record)
            except Exception as exc:
                if not self.is_outage(exc):
                    raise
                self.last_error = " ".join(str(exc).split())[:300]
                return False
            with self._lock:
                self.spool.commit(record.end)

    def _apply(self, record: SpoolRecord) -> None:
        kind = RecordKind(record.kind)
        if kind is RecordKind.TICKS:
            cols, source = decode_ticks(record.payload)
            n = self.store.write_ticks(cols, source)
            with self._lock:
                self.stored[cols.symbol] += n
                self.known[cols.symbol] += len(cols) - n
                self.replayed[cols.symbol] += len(cols)
        elif kind is RecordKind.BARS:
            bars, source = decode_bars(record.payload)
            n = self.store.write_bars(bars, source)
            with self._lock:
                self.bars["stored"] += n
                self.bars["replayed"] += len(bars)
        elif kind is RecordKind.QUARANTINE:
            self.store.write_quarantine(decode_quarantine(record.payload))
        else:
            e = decode_feed_event(record.payload)
            self.store.write_feed_event(e.ts, e.kind, e.symbol, e.source, e.since, e.detail)

    # -- internals -----------------------------------------------------------------------------------------------
    def _write(self, kind: RecordKind, write: Callable[[], int], encode: Callable[[], bytes]) -> int | None:
        """Write to the database, or spool; the rows written, or ``None`` when spooled."""
        with self._lock:
            if self._spooling:
                self.spool.append(kind, encode())
                return None
        try:
            return write()
        except Exception as exc:
            if not self.is_outage(exc):
                raise
            self.last_error = " ".join(str(exc).split())[:300]
            with self._lock:
                self.spool.append(kind, encode())
                self._spooling = True
            self.outages += 1
            log.warning("collector.database_out", error=self.last_error, spool=str(self.spool.path),
                        note="writes go to the spool and are replayed in order when the database is back")
            return None
