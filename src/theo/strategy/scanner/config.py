"""Configuration of the scanner component: any number of named scanners (plan §3 parameters).

Each scanner is bound to one strategy by name and filters, schedules, enriches and persists that
strategy's signals. Known symbols: a scanner's ``symbols`` (an optional filter) must be symbols of its
strategy, and its rules may name only those symbols; :func:`check_bindings` enforces this when the root
configuration loads, along with the existence of the bound strategy.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from theo.config.base import Section
from theo.core.errors import RuleSyntaxError
from theo.model.symbols import Symbol
from theo.strategy.rules import parse_rule
from theo.strategy.scanner.schedule import CronError, parse_cron

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun", "all"]
REGULAR_OPEN = time(9, 30)
REGULAR_CLOSE = time(16, 0)
PRE_MARKET_START = time(4, 0)  # market-rules.md §4.1
POST_MARKET_END = time(20, 0)  # market-rules.md §4.1


class ScanDefinition(Section):
    """One scanner. Times are New York wall-clock times; the defaults are the U.S. regular session."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    strategy: str = Field(min_length=1, description="name of the strategy whose signals this scanner takes")
    enabled: bool = True
    expiry: Literal["weekly", "monthly"] = "weekly"
    type: Literal["intraday", "positional"] = "intraday"
    days: list[Day] = Field(default_factory=lambda: list[Day](["all"]), min_length=1)
    scheduler: str | None = Field(default=None, description="cron-like 'min hour dom month dow' (New York)")
    interval_seconds: int | None = Field(default=None, ge=1)
    start_time: time = REGULAR_OPEN
    end_time: time = REGULAR_CLOSE
    pre_market: bool = False
    post_market: bool = False
    holiday_check: bool = True
    max_signals: int = Field(default=10, ge=1, description="signals per session day")
    direction: Literal["long", "short", "both"] = "both"
    instrument_type: Literal["EQUITY", "ETF", "FUT", "OPTION"] = "ETF"
    option_type: Literal["CALL", "PUT"] | None = None
    option_category: Literal["ITM", "OTM", "DITM", "DOTM", "ATM"] | None = None
    mode: Literal["live", "virtual"] = "virtual"
    entry_rules: list[str] = Field(default_factory=list)
    exit_rules: list[str] = Field(default_factory=list)
    symbols: list[Symbol] = Field(default_factory=list, description="only these symbols (default: all)")
    quantity: int | None = Field(default=None, ge=1, description="default: one contract")
    contract_size: int | None = Field(default=None, ge=1, description="default: 100 for OPTION, else 1")
    order_type: Literal["MARKET", "LIMIT", "STOP", "STOP_LIMIT", "TRAILING_STOP"] = "MARKET"
    product_type: Literal["MARGIN", "CASH"] = "MARGIN"
    exchange: Literal["SMART", "NYSE", "NASDAQ", "ARCA", "CBOE", "CME", "CFE"] = "SMART"

    @field_validator("entry_rules", "exit_rules")
    @classmethod
    def _rules_parse(cls, value: list[str]) -> list[str]:
        for i, expression in enumerate(value):
            try:
                parse_rule(expression)
            except RuleSyntaxError as exc:
                raise ValueError(f"rule {i + 1}: {exc}") from None
        return value

    @field_validator("scheduler")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_cron(value)
            except CronError as exc:
                raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _check(self) -> ScanDefinition:
        if self.start_time >= self.end_time:
            raise ValueError(f"start_time {self.start_time} must be before end_time {self.end_time}")
        earliest = PRE_MARKET_START if self.pre_market else REGULAR_OPEN
        latest = POST_MARKET_END if self.post_market else REGULAR_CLOSE
        if self.start_time < earliest:
            raise ValueError(f"start_time {self.start_time} is before {earliest}; set pre_market = true "
                             "to scan the pre-market")
        if self.end_time > latest:
            raise ValueError(f"end_time {self.end_time} is after {latest}; set post_market = true "
                             "to scan the post-market")
        if self.scheduler is not None and self.interval_seconds is not None:
            raise ValueError("give either scheduler or interval_seconds, not both")
        if self.instrument_type != "OPTION":
            for key in ("option_type", "option_category"):
                if getattr(self, key) is not None:
                    raise ValueError(f"{key} = {getattr(self, key)!r} needs instrument_type = 'OPTION' "
                                     f"(it is {self.instrument_type!r})")
        elif self.option_category is None:
            raise ValueError("instrument_type 'OPTION' needs option_category (ITM, OTM, DITM, DOTM or ATM)")
        if "all" in self.days and len(self.days) > 1:
            raise ValueError(f"days {self.days}: 'all' cannot be combined with single days")
        size = self.effective_contract_size
        if self.quantity is not None and self.quantity % size:
            raise ValueError(f"quantity {self.quantity} is not a multiple of the contract size {size}")
        return self

    @property
    def effective_contract_size(self) -> int:
        if self.contract_size is not None:
            return self.contract_size
        return 100 if self.instrument_type == "OPTION" else 1  # market-rules.md §6: 100 per option

    @property
    def effective_quantity(self) -> int:
        return self.quantity or self.effective_contract_size

    @property
    def weekdays(self) -> frozenset[int]:
        """Allowed ISO weekdays (1 = Monday)."""
        if "all" in self.days:
            return frozenset(range(1, 8))
        names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        return frozenset(names.index(d) + 1 for d in self.days)


class ScannerConfig(Section):
    """The signal scanner: a list of named scanners plus store-wide cleanup settings."""

    scanners: list[ScanDefinition] = Field(default_factory=list)
    user: str = Field(default="default", min_length=1, description="owner of stored signals")

    @model_validator(mode="after")
    def _unique(self) -> ScannerConfig:
        seen: set[str] = set()
        for s in self.scanners:
            if s.name in seen:
                raise ValueError(f"scanner name {s.name!r} is used twice; names must be unique")
            seen.add(s.name)
        return self


def check_bindings(scanner: ScannerConfig, strategies: Sequence[Any]) -> None:
    """Check every scanner against the configured strategies; raise ``ValueError`` naming the problem.

    A strategy is anything with ``name`` and (optionally) ``symbols``; a scanner must name an existing
    strategy and may filter and name in rules only that strategy's symbols.
    """
    by_name = {s.name: s for s in strategies}
    for i, scan in enumerate(scanner.scanners):
        where = f"scanner.scanners.{i} ({scan.name})"
        strat = by_name.get(scan.strategy)
        if strat is None:
            known = ", ".join(sorted(by_name)) or "none configured"
            raise ValueError(f"{where}: strategy {scan.strategy!r} is not configured (strategies: {known})")
        symbols = getattr(strat, "symbols", None)
        if symbols is None:
            continue
        for sym in scan.symbols:
            if sym not in symbols:
                raise ValueError(f"{where}: unknown symbol {sym!r}; strategy {scan.strategy!r} trades "
                                 f"{', '.join(symbols)}")
        for expression in (*scan.entry_rules, *scan.exit_rules):
            try:
                parse_rule(expression, symbols)
            except RuleSyntaxError as exc:
                raise ValueError(f"{where}, bound to strategy {scan.strategy!r}: {exc}") from None
