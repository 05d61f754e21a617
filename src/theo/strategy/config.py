"""The strategy section: a list of strategies, each selected by its ``type`` key."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from theo.strategy.library.correlation_config import CorrelationStrategyConfig
from theo.strategy.library.donchian_config import DonchianBreakoutConfig
from theo.strategy.library.zscore_config import ZScoreReversionConfig

StrategyConfig = Annotated[
    CorrelationStrategyConfig | DonchianBreakoutConfig | ZScoreReversionConfig,
    Field(discriminator="type"),
]

__all__ = ["CorrelationStrategyConfig", "DonchianBreakoutConfig", "StrategyConfig", "ZScoreReversionConfig"]
