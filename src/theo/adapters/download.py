"""The resumable bar download every broker / vendor adapter shares (``theo data download``).

A range is cut into request-sized windows aligned to ET midnights by the adapter (so a re-run sees the same
windows). A window is skipped without asking the vendor when the exchange has no session in it (weekends,
holidays) or when the store already holds bars in it and it ended before the download started; everything
else is fetched by the adapter and written idempotently (a bar already stored is kept) with the adapter's
``source``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from theo.core.calendar import ET, MarketCalendar
from theo.data.bars.stored import StoredBarColumns
from theo.model.market import Bar


class BarStore(Protocol):
    """The bar store as the download sees it (``MarketDataRepository`` has these methods)."""

    def write_bars(self, bars: Sequence[Bar], source: str) -> int: ...

    def bar_columns(self, symbol: str, timeframe: str, start: datetime | None = None,
                    end: datetime | None = None) -> StoredBarColumns: ...


@dataclass
class DownloadResult:
    """What the download did for one symbol: the row of the summary table."""

    symbol: str
    chunks: int = 0  # windows in the range
    requested: int = 0
    skipped_stored: int = 0
    skipped_closed: int = 0
    received: int = 0
    written: int = 0


Progress = Callable[[str, int, int], None]  # symbol, chunks done, chunks in all
Fetch = Callable[[datetime, datetime], Awaitable[list[Bar]]]  # the bars of one window
#: For a symbol: the calendar of its exchange and how to fetch one window of its bars.
Prepare = Callable[[str], Awaitable[tuple[MarketCalendar, Fetch]]]


async def download_bars(store: BarStore, symbols: Sequence[str], timeframe: str,
                        windows: Sequence[tuple[datetime, datetime]], source: str, prepare: Prepare, *,
                        began: datetime, progress: Progress | None = None) -> list[DownloadResult]:
    """Download every window of each symbol into ``store`` (see the module docstring)."""
    results: list[DownloadResult] = []
    for symbol in symbols:
        key = symbol.strip().upper()
        calendar, fetch = await prepare(key)
        res = DownloadResult(key, chunks=len(windows))
        for i, (a, b) in enumerate(windows):
            first, last = a.astimezone(ET).date() - timedelta(days=1), b.astimezone(ET).date() + timedelta(days=1)
            if not any(s.pre_open < b and a < s.post_close for s in calendar.sessions_in_range(first, last)):
                res.skipped_closed += 1
            elif b <= began and len(store.bar_columns(key, timeframe, a, b).start_us) > 0:
                res.skipped_stored += 1
            else:
                bars = await fetch(a, b)
                res.requested += 1
                res.received += len(bars)
                if bars:
                    res.written += store.write_bars(bars, source)
            if progress is not None:
                progress(key, i + 1, len(windows))
        results.append(res)
    return results
