"""Fields common to every strategy's configuration section."""

from __future__ import annotations

from pydantic import Field

from theo.config.base import Section
from theo.data.bars.timeframes import TimeframeLabel


class StrategySettings(Section):
    """Common strategy settings. Each strategy type adds its own fields in a subclass."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    enabled: bool = True
    timeframe: TimeframeLabel = "5m"  # read by theo.data.bars.timeframes.parse_timeframe
    allow_long: bool = True
    allow_short: bool = True
