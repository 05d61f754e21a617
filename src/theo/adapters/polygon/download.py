"""Historical bars from Polygon / Massive into the bar store (``theo data download --source polygon``).

The range is cut into windows aligned to ET midnights, as long as one request answers (a day of second
bars, 20 days of minute bars), and run through :func:`theo.adapters.download.download_bars`: closed and
already-stored windows are skipped, the others fetched with :meth:`PolygonHistory.aggregates` (raw prices,
every page, 429 back-off) and written with ``source="polygon"``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, time, timedelta

from theo.adapters.download import BarStore, DownloadResult, Fetch, Progress, download_bars
from theo.adapters.polygon.history import PolygonHistory
from theo.adapters.polygon.parsing import timeframe_of
from theo.core.calendar import ET, MarketCalendar
from theo.core.errors import ConfigError
from theo.model.enums import SessionKind
from theo.model.market import Bar

#: Days of bars one request covers, by timeframe unit: a day of seconds, 20 days of minutes (20 × 16 h of minutes
#: stay under Polygon's 50,000 aggregates per page).
WINDOW_DAYS: dict[str, int] = {"s": 1, "m": 20}
SPANS: dict[str, str] = {"s": "second", "m": "minute"}


def timespan_of(timeframe: str) -> tuple[str, int]:
    """Polygon's ``(timespan, multiplier)`` of a Theo timeframe (``5m`` -> ``("minute", 5)``)."""
    text = timeframe.strip()
    unit, number = text[-1:], text[:-1]
    found = SPANS.get(unit)
    if found is not None and number.isdigit():
        try:
            timeframe_of(found, int(number))
            return found, int(number)
        except ValueError:
            pass
    raise ConfigError(f"bar size {timeframe!r} cannot be downloaded from Polygon as Theo bars; use seconds dividing "
                      f"a minute or minutes dividing 30 (1s, 5s, 1m, 5m, 15m, 30m) and roll hours and days up "
                      f"with `theo data bars`")


def windows(start: datetime, end: datetime, timeframe: str) -> Iterator[tuple[datetime, datetime]]:
    """``[start, end)`` in request-sized windows aligned to ET midnights (UTC, in order)."""
    days = WINDOW_DAYS[timeframe.strip()[-1]]
    at = datetime.combine(start.astimezone(ET).date(), time(0), tzinfo=ET)
    while at < end:
        nxt = datetime.combine(at.date() + timedelta(days=days), time(0), tzinfo=ET)
        yield max(at, start).astimezone(UTC), min(nxt, end).astimezone(UTC)
        at = nxt


async def download(history: PolygonHistory, store: BarStore, symbols: Sequence[str], timeframe: str,
                   start: datetime, end: datetime, *, regular_only: bool = False, progress: Progress | None = None,
                   now: datetime | None = None) -> list[DownloadResult]:
    """Download ``[start, end)`` of each symbol into ``store``; ``regular_only`` keeps regular-session bars."""
    timespan, multiplier = timespan_of(timeframe)
    began = now or datetime.now(UTC)

    async def prepare(key: str) -> tuple[MarketCalendar, Fetch]:
        async def fetch(a: datetime, b: datetime) -> list[Bar]:
            bars = await history.aggregates_async(key, a, b, timespan, multiplier)
            return [x for x in bars if x.session is SessionKind.REGULAR] if regular_only else bars

        return history.calendar, fetch

    cut = list(windows(start, min(end, began), timeframe))
    return await download_bars(store, symbols, timeframe, cut, "polygon", prepare, began=began, progress=progress)
