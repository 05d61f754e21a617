"""Fields common to every strategy's configuration section, sizing included."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from theo.config.base import Section
from theo.data.bars.timeframes import TimeframeLabel


class FixedQuantity(Section):
    """Every entry trades ``quantity`` shares (contracts for futures)."""

    method: Literal["fixed_quantity"] = "fixed_quantity"
    quantity: Decimal = Field(gt=0, description="shares (contracts) per entry")


class RiskPercent(Section):
    """Size each entry so that its stop loses ``risk_pct`` % of equity (plan §5.1 checks 6-7)."""

    method: Literal["risk_percent"] = "risk_percent"
    risk_pct: Decimal | None = Field(default=None, gt=0, le=100,
                                     description="% of equity lost at the stop; default [risk] account_risk_pct")


SizingPolicy = Annotated[FixedQuantity | RiskPercent, Field(discriminator="method")]


class StrategySettings(Section):
    """Common strategy settings. Each strategy type adds its own fields in a subclass.

    Sizing: ``quantity = N`` trades N shares per entry (a shorthand for ``[strategies.sizing] method =
    "fixed_quantity"``); without it (and without ``[strategies.sizing]``) entries are sized from risk
    (``method = "risk_percent"``). Either way the quantity is then capped at the position, exposure and
    buying-power limits of ``[risk]``, and the signal records by how much and why.
    """

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    enabled: bool = True
    timeframe: TimeframeLabel = "5m"  # read by theo.data.bars.timeframes.parse_timeframe
    allow_long: bool = True
    allow_short: bool = True
    quantity: Decimal | None = Field(default=None, gt=0, description="shares per entry (fixed sizing)")
    sizing: SizingPolicy | None = Field(default=None, description="fixed_quantity or risk_percent")
    trail_pct: Decimal | None = Field(default=None, gt=0, lt=100,
                                      description="trailing stop % for this strategy's trades; default "
                                                  "[risk.trade] trailing_stop_pct")
    ss_type: Literal["intraday", "positional"] = Field(
        default="intraday", description="plan SS-Type: intraday trades end at [risk.trade] time_exit; "
                                        "positional trades hold overnight")

    @field_validator("ss_type", mode="before")
    @classmethod
    def _ss_type_any_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value  # the plan writes "Positional"

    @model_validator(mode="after")
    def _one_sizing(self) -> StrategySettings:
        if self.quantity is not None and self.sizing is not None:
            raise ValueError(f"strategy {self.name}: set either quantity = {self.quantity} or a [sizing] table, "
                             f"not both")
        return self

    @property
    def sizing_policy(self) -> FixedQuantity | RiskPercent:
        """The sizing this strategy's entries use (see the class docstring)."""
        if self.sizing is not None:
            return self.sizing
        if self.quantity is not None:
            return FixedQuantity(quantity=self.quantity)
        return RiskPercent()
