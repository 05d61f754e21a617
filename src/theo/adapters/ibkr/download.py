"""Historical bars from IBKR into the bar store: chunked, paced, resumable and idempotent.

A range is cut into the chunks of :func:`theo.adapters.ibkr.history.chunks` (aligned to ET midnights, so a
re-run sees the same chunks). A chunk is skipped without asking TWS when the exchange has no session in it
(weekends, holidays) or when the store already holds bars in it and it ended before the download started;
everything else is asked for and written idempotently (a bar already stored is kept).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from theo.adapters.ibkr.data import IbkrMarketData
from theo.adapters.ibkr.history import chunks
from theo.core.calendar import ET, get_calendar
from theo.data.bars.stored import StoredBarColumns
from theo.model.enums import InstrumentKind
from theo.model.instruments import CME_EQUITY_CALENDAR, NYSE_CALENDAR
from theo.model.market import Bar


class BarStore(Protocol):
    """The bar store as the download sees it (``MarketDataRepository`` has these methods)."""

    def write_bars(self, bars: Sequence[Bar], source: str) -> int: ...

    def bar_columns(self, symbol: str, timeframe: str, start: datetime | None = None,
                    end: datetime | None = None) -> StoredBarColumns: ...


@dataclass
class DownloadResult:
    symbol: str
    chunks: int = 0
    requested: int = 0
    skipped_stored: int = 0
    skipped_closed: int = 0
    received: int = 0
    written: int = 0


Progress = Callable[[str, int, int], None]  # symbol, chunks done, chunks in all


async def download(md: IbkrMarketData, store: BarStore, symbols: Sequence[str], timeframe: str, start: datetime,
                   end: datetime, *, what_to_show: str = "TRADES", use_rth: bool = False,
                   progress: Progress | None = None, now: datetime | None = None) -> list[DownloadResult]:
    """Download ``[start, end)`` of each symbol into ``store`` (see the module docstring)."""
    began = now or datetime.now(UTC)
    end = min(end, began)
    results: list[DownloadResult] = []
    for symbol in symbols:
        key = symbol.strip().upper()
        info = await md.validate_symbol(key)
        calendar = get_calendar(CME_EQUITY_CALENDAR if info.kind is InstrumentKind.FUTURE else NYSE_CALENDAR)
        res = DownloadResult(key)
        windows = list(chunks(start, end, timeframe))
        res.chunks = len(windows)
        for i, (a, b) in enumerate(windows):
            first, last = a.astimezone(ET).date() - timedelta(days=1), b.astimezone(ET).date() + timedelta(days=1)
            if not any(s.pre_open < b and a < s.post_close for s in calendar.sessions_in_range(first, last)):
                res.skipped_closed += 1
            elif b <= began and len(store.bar_columns(key, timeframe, a, b).start_us) > 0:
                res.skipped_stored += 1
            else:
                bars = await md.history.chunk(await md.contract(key), key, timeframe, a, b, what_to_show, use_rth)
                res.requested += 1
                res.received += len(bars)
                if bars:
                    res.written += store.write_bars(bars, "ibkr")
            if progress is not None:
                progress(key, i + 1, len(windows))
        results.append(res)
    return results
