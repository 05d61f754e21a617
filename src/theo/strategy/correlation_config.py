"""Configuration of the multi-symbol correlation strategy (plan §3.1)."""

from __future__ import annotations

from typing import Literal

from theo.strategy.settings import StrategySettings


class CorrelationStrategyConfig(StrategySettings):
    """The correlation strategy: primary vs correlated symbols, SH/SL and correlation gates."""

    type: Literal["correlation"] = "correlation"
