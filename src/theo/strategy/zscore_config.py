"""Configuration of the z-score mean-reversion strategy."""

from __future__ import annotations

from typing import Literal

from theo.strategy.settings import StrategySettings


class ZScoreReversionConfig(StrategySettings):
    """Fade moves that stretch the price more than ``entry_z`` standard deviations from its mean."""

    type: Literal["zscore_reversion"] = "zscore_reversion"
