"""Historical bars from IBKR into the bar store: chunked, paced, resumable and idempotent.

The range is cut into the chunks of :func:`theo.adapters.ibkr.history.chunks` (aligned to ET midnights) and
run through :func:`theo.adapters.download.download_bars`: closed and already-stored chunks are skipped
without asking TWS, everything else is asked for (paced) and written with ``source="ibkr"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from theo.adapters.download import BarStore, DownloadResult, Fetch, Progress, download_bars
from theo.adapters.ibkr.data import IbkrMarketData
from theo.adapters.ibkr.history import chunks
from theo.core.calendar import MarketCalendar, get_calendar
from theo.model.enums import InstrumentKind
from theo.model.instruments import CME_EQUITY_CALENDAR, NYSE_CALENDAR
from theo.model.market import Bar

__all__ = ["BarStore", "DownloadResult", "Progress", "download"]


async def download(md: IbkrMarketData, store: BarStore, symbols: Sequence[str], timeframe: str, start: datetime,
                   end: datetime, *, what_to_show: str = "TRADES", use_rth: bool = False,
                   progress: Progress | None = None, now: datetime | None = None) -> list[DownloadResult]:
    """Download ``[start, end)`` of each symbol into ``store`` (see the module docstring)."""
    began = now or datetime.now(UTC)

    async def prepare(key: str) -> tuple[MarketCalendar, Fetch]:
        info = await md.validate_symbol(key)
        calendar = get_calendar(CME_EQUITY_CALENDAR if info.kind is InstrumentKind.FUTURE else NYSE_CALENDAR)
        contract = await md.contract(key)

        async def fetch(a: datetime, b: datetime) -> list[Bar]:
            return await md.history.chunk(contract, key, timeframe, a, b, what_to_show, use_rth)

        return calendar, fetch

    windows = list(chunks(start, min(end, began), timeframe))
    return await download_bars(store, symbols, timeframe, windows, "ibkr", prepare, began=began, progress=progress)
