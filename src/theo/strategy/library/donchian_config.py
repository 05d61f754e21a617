"""Configuration of the Donchian breakout (momentum) strategy."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from theo.model.symbols import Symbol
from theo.strategy.settings import StrategySettings


class DonchianBreakoutConfig(StrategySettings):
    """Buy a close above the prior N-bar high, sell a close below the prior N-bar low.

    A long is closed when the close falls below the prior ``exit_period``-bar low (a short when it rises
    above the prior ``exit_period``-bar high). ``stop_loss_pct``/``take_profit_pct`` put a protective stop
    and a target at that distance from the signal's close; ``trail_pct`` trails the stop behind the best
    price since entry.
    """

    type: Literal["donchian_breakout"] = "donchian_breakout"
    symbols: list[Symbol] = Field(default_factory=lambda: ["SPY"], min_length=1)
    entry_period: int = Field(default=20, ge=2, le=10_000)
    exit_period: int = Field(default=10, ge=1, le=10_000)
    stop_loss_pct: float | None = Field(default=None, gt=0, lt=100)
    take_profit_pct: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _exit_inside_entry(self) -> DonchianBreakoutConfig:
        if self.exit_period > self.entry_period:
            raise ValueError(f"exit_period={self.exit_period} must not exceed entry_period={self.entry_period}")
        return self
