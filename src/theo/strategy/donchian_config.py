"""Configuration of the Donchian breakout (momentum) strategy."""

from __future__ import annotations

from typing import Literal

from theo.strategy.settings import StrategySettings


class DonchianBreakoutConfig(StrategySettings):
    """Buy a close above the prior N-bar high, sell a close below the prior N-bar low."""

    type: Literal["donchian_breakout"] = "donchian_breakout"
