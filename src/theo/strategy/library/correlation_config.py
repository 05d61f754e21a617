"""Configuration of the multi-symbol correlation strategy (plan §3.1).

Known symbols: a strategy knows exactly its ``primary`` and ``correlated`` symbols. A rule that names any
other symbol (``XYZ.close``) is rejected at load, and so is a scanner bound to this strategy that lists a
symbol outside this set (see ``theo.strategy.scanner.config``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from theo.config.base import Section
from theo.core.errors import RuleSyntaxError
from theo.data.bars.timeframes import TimeframeLabel
from theo.strategy.rules import Rule, parse_rules
from theo.strategy.settings import StrategySettings

SYMBOL_PATTERN = r"^[A-Z][A-Z0-9]{0,15}$"


def _symbol(value: str) -> str:
    if not re.match(SYMBOL_PATTERN, value):
        raise ValueError(f"symbol {value!r} must be 1-16 upper-case letters and digits starting with a letter, "
                         f"e.g. {value.upper() if re.match(SYMBOL_PATTERN, value.upper()) else 'SPY'}")
    return value


Symbol = Annotated[str, AfterValidator(_symbol)]
Sign = Literal["negative", "positive", "abs"]


class CorrelatedSymbol(Section):
    """One correlated symbol: its correlation sign and how its swing break must relate to the primary's.

    ``confirm = "opposite"`` is plan §3.1 as written: a BUY needs the correlated close below its SL (the
    natural reading for a negatively correlated symbol such as VIX). ``"same"`` needs it above its SH
    instead (a positively correlated symbol confirming the primary's breakout).
    """

    symbol: Symbol
    sign: Sign | None = None
    confirm: Literal["opposite", "same"] = "opposite"


class CorrelationGate(Section):
    """The rolling correlation between the primary and each correlated symbol."""

    method: Literal["pearson", "spearman", "kendall"] = "pearson"
    window: int = Field(default=60, ge=3, le=100_000)
    min_points: int = Field(default=30, ge=3)
    on: Literal["returns", "prices"] = "returns"
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    sign: Sign = "abs"

    @model_validator(mode="after")
    def _points_fit_window(self) -> CorrelationGate:
        if self.min_points > self.window:
            raise ValueError(f"min_points {self.min_points} exceeds window {self.window}; lower min_points")
        return self


class QualitySettings(Section):
    """Strategy-level data-quality gates (``theo.strategy.quality``); each can be switched off with 0/None."""

    max_gap_bars: int = Field(default=3, ge=0, description="missing bars tolerated inside a session")
    stale_after_seconds: int = Field(default=900, ge=0, description="0 switches the stale check off")
    zscore_window: int = Field(default=50, ge=5)
    zscore_limit: float = Field(default=8.0, gt=0, description="|z| of the last return above this is an outlier")
    max_settlement_deviation_pct: float | None = Field(default=15.0, gt=0)
    market_hours: Literal["regular", "extended", "any"] = "regular"
    reject_flags: list[str] = Field(default_factory=lambda: ["outlier", "suspicious"],
                                    description="a bar carrying any of these feed/aggregator flags fails")
    calendar: Literal["XNYS", "CME_EQUITY"] = "XNYS"


class CorrelationStrategyConfig(StrategySettings):
    """The correlation strategy: primary vs correlated symbols, SH/SL and correlation gates."""

    type: Literal["correlation"] = "correlation"
    primary: Symbol = "SPY"
    correlated: list[CorrelatedSymbol] = Field(default_factory=lambda: [CorrelatedSymbol(symbol="VIX")],
                                               min_length=1)
    require: Literal["all", "any"] = "all"
    indicator_timeframe: TimeframeLabel | None = None
    swing_left: int = Field(default=2, ge=1, le=50)
    swing_right: int = Field(default=2, ge=1, le=50)
    correlation: CorrelationGate = CorrelationGate()
    signal_interval_seconds: int = Field(default=0, ge=0, description="minimum time between signals of a side")
    entry_rules: list[str] = Field(default_factory=list)
    exit_rules: list[str] = Field(default_factory=list)
    stop: Literal["swing", "atr", "none"] = "swing"
    atr_period: int = Field(default=14, ge=1)
    stop_atr_multiple: float = Field(default=2.0, gt=0)
    target_r_multiple: float | None = Field(default=2.0, gt=0)
    quality: QualitySettings = QualitySettings()

    @field_validator("correlated", mode="before")
    @classmethod
    def _plain_symbols(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"symbol": v} if isinstance(v, str) else v for v in value]
        return value

    @model_validator(mode="after")
    def _check(self) -> CorrelationStrategyConfig:
        seen = {self.primary}
        for c in self.correlated:
            if c.symbol in seen:
                raise ValueError(f"symbol {c.symbol!r} is listed twice (primary and correlated must all differ)")
            seen.add(c.symbol)
        return self

    @field_validator("entry_rules", "exit_rules")
    @classmethod
    def _rules_parse(cls, value: list[str], info: ValidationInfo) -> list[str]:
        # Parsing here is what makes a bad rule a load-time error with a caret under the token.
        primary = info.data.get("primary")
        correlated = info.data.get("correlated") or []
        symbols = [primary, *(c.symbol for c in correlated)] if primary else None
        for i, expression in enumerate(value):
            try:
                parse_rules([expression], symbols)
            except RuleSyntaxError as exc:
                raise ValueError(f"rule {i + 1}: {exc}") from None
        return value

    @property
    def symbols(self) -> tuple[str, ...]:
        """Primary first, then the correlated symbols in configured order."""
        return (self.primary, *(c.symbol for c in self.correlated))

    def sign_of(self, item: CorrelatedSymbol) -> Sign:
        return item.sign or self.correlation.sign

    def parsed_entry_rules(self) -> tuple[Rule, ...]:
        return parse_rules(self.entry_rules, self.symbols)

    def parsed_exit_rules(self) -> tuple[Rule, ...]:
        return parse_rules(self.exit_rules, self.symbols)
