"""Feeds: one interface (:class:`~theo.data.feeds.base.Feed`) for replay, synthetic and live sources."""

from theo.data.feeds.base import Feed, FeedHealth, MarketEvent

__all__ = ["Feed", "FeedHealth", "MarketEvent"]
