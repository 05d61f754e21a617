"""Configuration of the marketdata component."""

from __future__ import annotations

from theo.config.base import Section


class MarketDataConfig(Section):
    """Market data: feeds, quality gate, latency, bar aggregation, futures and archive."""
