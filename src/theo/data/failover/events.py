"""What the feed supervisor publishes: switches between feeds, and symbols that no feed serves.

Topics: ``feed.failover`` / ``feed.failback`` (:class:`FeedSwitched`), ``feed.unavailable`` /
``feed.available`` (:class:`FeedsUnavailable` / :class:`FeedsAvailable`). The recorder keeps each as a row of
``feed_events`` with its :class:`FeedEventKind`; the trading-state guard (``theo.node.feed_guard``) reduces
trading while a symbol is unavailable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class FeedEventKind(StrEnum):
    """The ``kind`` of a ``feed_events`` row."""

    STALE = "stale"  # the quality gate saw no tick of a symbol for its stale_after_seconds
    RESUMED = "resumed"
    FAILOVER = "failover"  # the supervisor moved a symbol from the primary to the secondary
    FAILBACK = "failback"  # ... and back
    UNAVAILABLE = "unavailable"  # no feed is fresh for a symbol in session
    AVAILABLE = "available"


@dataclass(frozen=True, slots=True)
class FeedSwitched:
    """``symbol`` now comes from ``source`` (it came from ``previous``); ``since`` is the exchange time of the
    last event forwarded from ``previous`` (``None`` when none was), ``at`` the switch time."""

    kind: FeedEventKind
    symbol: str
    source: str
    previous: str
    since: datetime | None
    at: datetime
    reason: str

    @property
    def topic(self) -> str:
        return f"feed.{self.kind.value}"


@dataclass(frozen=True, slots=True)
class FeedsUnavailable:
    """No feed delivered anything for ``symbol`` since ``since`` while its market is open."""

    symbol: str
    source: str  # the feed the symbol was on
    since: datetime
    at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class FeedsAvailable:
    """``source`` delivers ``symbol`` again; it had no fresh feed since ``since``."""

    symbol: str
    source: str
    since: datetime
    at: datetime
