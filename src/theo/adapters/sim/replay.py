"""Replay of market-data files (CSV or Parquet): many symbols merged in time order."""

from __future__ import annotations

import asyncio
import heapq
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from theo.core.errors import DataError, FeedError
from theo.core.time import from_us, to_us
from theo.data.feeds.base import EventHandler, Feed, MarketEvent
from theo.data.feeds.pacing import paced
from theo.data.files import ReadResult, RowRejection, TickColumns, read_market_file
from theo.data.rejection import SUSPICIOUS, Rejection
from theo.model.market import Bar, Tick


class ReplayFeed(Feed):
    """Replay tick or bar files as one time-ordered stream, flat out or at real speed × ``speed``.

    Files are read and validated at :meth:`connect`; rows the reader refuses are kept in
    :attr:`file_rejections` and provider-flagged suspicious prints go to ``on_reject`` (reason
    ``suspicious``), so nothing is dropped silently. Ties in time keep file order, then path order.
    """

    def __init__(self, paths: Sequence[tuple[str | Path, str]], speed: float | None = None,
                 source: str = "replay", on_reject: Callable[[Rejection], None] | None = None) -> None:
        super().__init__(source)
        if speed is not None and speed <= 0:
            raise FeedError(f"replay speed {speed} must be positive (or omitted for as fast as possible)")
        self.paths = [(Path(p), s.upper()) for p, s in paths]
        self.speed = speed
        self.on_reject = on_reject
        self.file_rejections: dict[Path, list[RowRejection]] = {}
        self.rejected: Counter[str] = Counter()
        self._results: list[tuple[str, ReadResult]] = []
        self._next: dict[int, int] = {}  # per file: the next row to deliver after a reconnect
        self._reported: dict[int, int] = {}  # per file: the last suspicious row reported

    def connect(self) -> None:
        if self._connected:
            return
        self._results = []
        for path, symbol in self.paths:
            result = read_market_file(path, symbol)
            if result.ticks is None and result.bars is None:
                # Permanent: a DataError is not retried by ``serve`` (a FeedError would be).
                raise DataError(f"{path}: quote files are not replayed yet; use a tick or bar file")
            self.file_rejections[path] = result.rejections
            self._results.append((symbol, result))
        if not self._subscribed:
            self.subscribe(s for s, _ in self._results)
        super().connect()

    def timeframes(self) -> dict[str, str]:
        """The timeframe of each symbol's file (``tick`` for trade prints); reads the files if needed."""
        self.connect()
        return {symbol: "tick" if r.bars is None else r.bars.timeframe for symbol, r in self._results}

    def tick_columns(self, symbol: str) -> list[TickColumns]:
        """The tick columns read for ``symbol`` (for the vectorised replay path)."""
        self.connect()
        return [r.ticks for s, r in self._results if s == symbol.upper() and r.ticks is not None]

    def _file_events(self, symbol: str, result: ReadResult, order: int, start: int
                     ) -> Iterator[tuple[int, int, int, MarketEvent]]:
        reported = self._reported.get(order, -1)
        if result.ticks is not None:
            cols = result.ticks
            for i, tick in enumerate(fast_ticks(cols, self.name, start), start):
                if bool(cols.suspicious[i]):
                    if i > reported:  # once per feed, even when a reconnect reads the file again
                        self._reported[order] = reported = i
                        self.rejected[SUSPICIOUS] += 1
                        if self.on_reject is not None:
                            self.on_reject(Rejection(tick, SUSPICIOUS, f"{result.path} line {int(cols.line[i])}: "
                                                     "the provider flags this print as suspicious", stage="replay"))
                    continue
                yield int(cols.ts_us[i]), order, i, tick
        elif result.bars is not None:
            for i, bar in enumerate(result.bars.to_bars(self.name)[start:], start):
                yield to_us(bar.end), order, i, bar

    def _merged(self, resume: bool) -> Iterator[tuple[int, int, int, MarketEvent]]:
        self.connect()
        streams = [self._file_events(s, r, k, self._next.get(k, 0) if resume else 0)
                   for k, (s, r) in enumerate(self._results) if s in self._subscribed]
        for item in heapq.merge(*streams, key=lambda e: (e[0], e[1], e[2])):
            self._seen(item[3])
            yield item

    def events(self) -> Iterator[MarketEvent]:
        for item in self._merged(resume=False):
            yield item[3]

    async def run(self, handler: EventHandler, stop: asyncio.Event) -> None:
        """Deliver paced events; after a disconnect, a new ``run`` resumes after the last event delivered."""
        current = (0, 0)  # stream and row of the event ``paced`` is about to deliver (it delivers in order)

        def events() -> Iterator[MarketEvent]:
            nonlocal current
            for _, order, i, ev in self._merged(resume=True):
                current = (order, i)
                yield ev

        def deliver(ev: MarketEvent) -> None:
            handler(ev)
            order, i = current
            self._next[order] = i + 1  # a stream's events are delivered in row order

        await paced(events(), deliver, stop, self.speed)


def fast_ticks(cols: TickColumns, source: str, start: int = 0) -> Iterator[Tick]:
    """``Tick`` objects from columns (from row ``start``), lazily: a replay of millions never holds them all."""
    sym = cols.symbol
    # The file line is the print's id within its feed: the gate rejects a line delivered twice.
    for t, p, s, e, c, n in zip(cols.ts_us[start:].tolist(), cols.price[start:].tolist(), cols.size[start:].tolist(),
                                cols.exchange[start:].tolist(), cols.condition[start:].tolist(),
                                cols.line[start:].tolist(), strict=True):
        yield Tick(sym, from_us(t), p, s, source, str(e), str(c), None, str(n))


def replay_ticks(feed: ReplayFeed) -> Iterator[Tick]:
    """Only the ticks of a replay (bars skipped), for callers that want ``Tick`` typing."""
    for ev in feed.events():
        if isinstance(ev, Tick):
            yield ev
        elif not isinstance(ev, Bar):
            raise FeedError(f"unexpected event {type(ev).__name__} in a tick replay")
