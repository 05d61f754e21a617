"""Feeds: one interface (:class:`~theo.marketdata.feeds.base.Feed`) for replay, synthetic and live sources."""

from theo.marketdata.feeds.base import Feed, FeedHealth, MarketEvent

__all__ = ["Feed", "FeedHealth", "MarketEvent"]
