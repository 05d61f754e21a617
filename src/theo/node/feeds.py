"""The fail-over feed of a run, built from ``[feeds] secondary`` (the composition root of the market data)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime

from theo.config import TheoConfig
from theo.core.errors import ConfigError
from theo.data.failover.backfill import Backfill
from theo.data.feeds.base import Feed


def fail_over_feed(config: TheoConfig, name: str, *, now: Callable[[], datetime]) -> tuple[Feed, Backfill | None]:
    """The secondary feed called ``name`` and its REST history for backfills."""
    if name == "polygon":
        try:
            data = importlib.import_module("theo.adapters.polygon.data")
            history = importlib.import_module("theo.adapters.polygon.history")
        except ImportError as exc:
            raise ConfigError(f'[feeds] secondary = "polygon": the Polygon adapter is not available in this '
                              f'installation ({exc}); set secondary = "" to run on IBKR alone') from exc
        feed: Feed = data.PolygonFeed.from_config(config, now=now)
        backfill: Backfill = history.PolygonHistory.from_config(config)
        return feed, backfill
    raise ConfigError(f'[feeds] secondary = "{name}" cannot be the fail-over feed of this run (its primary is IBKR); '
                      f'use "polygon", or "" for none')
