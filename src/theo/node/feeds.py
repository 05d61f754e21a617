"""The fail-over feed of a run or a collector, built from ``[feeds] secondary`` (the composition root of the
market data)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from theo.config import TheoConfig
from theo.core.bus import MessageBus
from theo.core.calendar import MarketCalendar, get_calendar
from theo.core.errors import ConfigError
from theo.data.failover.backfill import Backfill
from theo.data.feeds.base import Feed
from theo.data.latency import LatencyMonitor
from theo.data.supervisor import FeedSupervisor


def fail_over_feed(config: TheoConfig, name: str, *, now: Callable[[], datetime]) -> tuple[Feed, Backfill | None]:
    """The secondary feed called ``name`` and its REST history for backfills.

    The key is looked up now, so a missing one stops the run before it starts instead of leaving it without
    a fail-over feed."""
    if name == "polygon":
        from theo.adapters.polygon.data import PolygonFeed
        from theo.adapters.polygon.errors import PolygonAuthError
        from theo.adapters.polygon.history import PolygonHistory

        try:
            config.polygon.api_key()
        except PolygonAuthError as exc:
            raise ConfigError(f'[feeds] secondary = "polygon": {exc}; or set secondary = "" to run on IBKR '
                              f'alone') from None
        calendar = get_calendar(config.market.calendar, config.market)
        return (PolygonFeed(config.polygon, calendar=calendar, now=now),
                PolygonHistory(config.polygon, calendar=calendar))
    raise ConfigError(f'[feeds] secondary = "{name}" cannot be the fail-over feed of this run (its primary is IBKR); '
                      f'use "polygon", or "" for none')


def supervised(config: TheoConfig, primary: Feed, calendar_for: Callable[[str], MarketCalendar], *,
               now: Callable[[], datetime], secondary: Feed | None = None, backfill: Backfill | None = None,
               bus: MessageBus | None = None, latency: LatencyMonitor | None = None) -> Feed:
    """``primary`` alone, or behind a :class:`FeedSupervisor` with ``secondary`` (default: ``[feeds] secondary``,
    built by :func:`fail_over_feed`): the one construction ``theo run`` and ``theo collect`` share.

    ``bus`` and ``latency`` may be given later (the collector's pipeline exists only once it runs)."""
    if secondary is None and config.feeds.secondary:
        secondary, backfill = fail_over_feed(config, config.feeds.secondary, now=now)
    if secondary is None:
        return primary
    return FeedSupervisor(primary, secondary, config.feeds, calendar_for, bus=bus, backfill=backfill,
                          latency=latency, now=now)
