"""Configuration of the z-score mean-reversion strategy."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from theo.model.symbols import Symbol
from theo.strategy.settings import StrategySettings


class ZScoreReversionConfig(StrategySettings):
    """Fade moves that stretch the price more than ``entry_z`` standard deviations from its mean.

    The z-score is ``(close - mean) / std`` over the last ``lookback`` closes (this bar included). A long
    opens when z crosses below ``-entry_z`` and closes when it crosses back above ``-exit_z`` (shorts
    mirror it).
    """

    type: Literal["zscore_reversion"] = "zscore_reversion"
    symbols: list[Symbol] = Field(default_factory=lambda: ["SPY"], min_length=1)
    lookback: int = Field(default=20, ge=3, le=10_000)
    entry_z: float = Field(default=2.0, gt=0)
    exit_z: float = Field(default=0.5, ge=0)
    stop_loss_pct: float | None = Field(default=None, gt=0, lt=100)
    take_profit_pct: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _exit_inside_entry(self) -> ZScoreReversionConfig:
        if self.exit_z >= self.entry_z:
            raise ValueError(f"exit_z={self.exit_z} must be below entry_z={self.entry_z}")
        return self
