"""Configuration of the risk component: accounts (PDT policy, capital, margin), limits with per-strategy and
per-user overrides (plan §5.2), circuit breakers, the order-rate limit and the trade manager's exit rules.

Every field has a default, so an empty ``[risk]`` section is valid. Resolution of a limit: the account's
``limits``, then ``strategies.<name>``, then ``users.<name>`` (the most specific set value wins).
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, SerializerFunctionWrapHandler, model_serializer, model_validator

from theo.config.base import Section, is_optional

PdtPolicy = Literal["legacy_pdt", "intraday_margin", "none"]
BreakerAction = Literal["reducing", "halted"]


class FuturesMargin(Section):
    """Per-contract margin of a futures root (MES ...) in USD; IBKR's values change: keep them current."""

    initial: Decimal = Field(gt=0)
    maintenance: Decimal = Field(gt=0)


class MarginSettings(Section):
    """The paper/backtest margin model of market-rules.md §2.6 (house intraday, Reg T overnight)."""

    # §2.3 IBKR house: intraday initial 25 % long / 30 % short; maintenance 25 % long.
    intraday_initial_long_pct: Decimal = Field(default=Decimal("25"), gt=0, le=100)
    intraday_initial_short_pct: Decimal = Field(default=Decimal("30"), gt=0, le=100)
    maintenance_long_pct: Decimal = Field(default=Decimal("25"), gt=0, le=100)
    # §2.1 Reg T: 50 % initial (overnight, checked near the close).
    reg_t_initial_pct: Decimal = Field(default=Decimal("50"), gt=0, le=100)
    # §1.1 (iii): day-trading buying power = 4 x maintenance margin excess (legacy regime).
    day_trading_multiplier: Decimal = Field(default=Decimal("4"), gt=0)
    # §2.6: the Reg T check near the close; 15:50 ET is [UNCERTAIN] in market-rules.md, hence configurable.
    reg_t_check_time: time = time(15, 50)
    futures: dict[str, FuturesMargin] = Field(default_factory=dict,
                                              description="per futures root, e.g. MES = {initial=.., maintenance=..}")


class LimitOverrides(Section):
    """Limits that a strategy or a user may set differently from the account.

    A key left out inherits the account's value; ``"none"`` turns an optional limit off for this strategy or
    user (e.g. ``daily_loss_limit_pct = "none"``).
    """

    max_active_trades: int | None = Field(default=None, ge=0)
    max_trades_per_day: int | None = Field(default=None, ge=0)
    account_risk_pct: Decimal | None = Field(default=None, gt=0, le=100)
    max_total_risk_pct: Decimal | None = Field(default=None, gt=0, le=100)
    default_stop_pct: Decimal | None = Field(default=None, gt=0, lt=100)
    max_stop_pct: Decimal | None = Field(default=None, gt=0, lt=100)
    min_stop_ticks: int | None = Field(default=None, ge=1)
    default_target_r: Decimal | None = Field(default=None, gt=0)
    min_reward_risk: Decimal | None = Field(default=None, ge=0)
    max_trade_qty: Decimal | None = Field(default=None, gt=0)
    max_position_qty: Decimal | None = Field(default=None, gt=0)
    max_position_value: Decimal | None = Field(default=None, gt=0)
    max_gross_exposure_pct: Decimal | None = Field(default=None, gt=0)
    max_net_exposure_pct: Decimal | None = Field(default=None, gt=0)
    daily_loss_limit: Decimal | None = Field(default=None, gt=0)
    daily_loss_limit_pct: Decimal | None = Field(default=None, gt=0, le=100)

    @model_validator(mode="after")
    def _off_only_where_optional(self) -> LimitOverrides:
        for key in sorted(self.model_fields_set):
            if getattr(self, key) is None and not is_optional(Limits.model_fields[key].annotation):
                raise ValueError(f'{key} = "none": this limit cannot be turned off; set a value or remove the line')
        return self

    @model_serializer(mode="wrap")
    def _only_set(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Unset means "inherit" and "none" means "off": only the keys written are shown.
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if k in self.model_fields_set}


class Limits(Section):
    """Resolved limits (plan §5.1 checks and §9 limits); percentages are of account equity."""

    max_active_trades: int = Field(default=5, ge=0)
    max_trades_per_day: int = Field(default=20, ge=0)
    account_risk_pct: Decimal = Field(default=Decimal("1"), gt=0, le=100, description="risk budget per trade")
    max_total_risk_pct: Decimal = Field(default=Decimal("5"), gt=0, le=100, description="all open trades")
    default_stop_pct: Decimal = Field(default=Decimal("1"), gt=0, lt=100, description="stop when a signal has none")
    max_stop_pct: Decimal = Field(default=Decimal("5"), gt=0, lt=100, description="farther stops are pulled in")
    min_stop_ticks: int = Field(default=2, ge=1, description="nearer stops are pushed out to this distance")
    default_target_r: Decimal = Field(default=Decimal("2"), gt=0, description="target = entry ± R x risk")
    min_reward_risk: Decimal = Field(default=Decimal("1"), ge=0, description="target distance / stop distance")
    max_trade_qty: Decimal | None = Field(default=None, gt=0, description="largest quantity of one trade")
    max_position_qty: Decimal | None = Field(default=None, gt=0, description="per symbol, all trades")
    max_position_value: Decimal | None = Field(default=None, gt=0, description="USD per symbol")
    max_gross_exposure_pct: Decimal = Field(default=Decimal("400"), gt=0)
    max_net_exposure_pct: Decimal = Field(default=Decimal("400"), gt=0)
    daily_loss_limit: Decimal | None = Field(default=None, gt=0, description="USD; opening orders stop below it")
    daily_loss_limit_pct: Decimal | None = Field(default=Decimal("3"), gt=0, le=100)

    def merged(self, *overrides: LimitOverrides | None) -> Limits:
        data = self.model_dump()
        for o in overrides:
            if o is not None:
                data.update(o.model_dump())  # only the keys set: "none" turns an optional limit off
        return Limits.model_validate(data)


class AccountRisk(Section):
    """One account: its PDT regime (market-rules.md §1.4), where equity comes from, margin and limits."""

    pdt_policy: PdtPolicy = "legacy_pdt"
    capital_source: Literal["config", "broker"] = Field(
        default="config", description="config: market.capital + P&L; broker: the broker's net liquidation")
    pdt_min_equity: Decimal = Field(default=Decimal("25000"), ge=0)  # §1.1 (iv)
    pdt_max_day_trades: int = Field(default=3, ge=0)  # §1.1 (ii): the 4th in 5 business days makes a PDT
    pdt_window_days: int = Field(default=5, ge=1)
    intraday_margin_buffer: Decimal = Field(default=Decimal("0"), ge=0, description="USD kept free (§1.4)")
    margin: MarginSettings = MarginSettings()
    limits: Limits = Limits()


class CircuitBreakers(Section):
    """Automatic changes of the trading state (plan §9, RM-Max-sp of §5.5)."""

    max_drawdown_pct: Decimal | None = Field(default=Decimal("10"), gt=0, le=100,
                                             description="RM-Max-sp: drawdown from the equity peak")
    drawdown_action: BreakerAction = "halted"
    daily_loss_action: BreakerAction = "reducing"
    max_consecutive_losses: int | None = Field(default=None, ge=1)
    consecutive_losses_action: BreakerAction = "reducing"


class RateLimit(Section):
    """At most ``max_orders`` new opening orders in any ``per_seconds`` window (cancels always pass)."""

    max_orders: int = Field(default=20, ge=1)
    per_seconds: float = Field(default=60.0, gt=0)


class TradeRules(Section):
    """How the trade manager protects and manages a running trade (plan §5.3–§5.4).

    Every entry goes out as a bracket: the protective stop and the take-profit rest at the broker as one
    one-cancels-other pair; with ``trailing_stop_pct`` the stop is a broker trailing stop.
    """

    protective_stop: Literal["always", "signal"] = Field(
        default="always", description="always: a stop order on every trade (the signal's, else default_stop_pct); "
        "signal: only when the signal sets one")
    profit_target: Literal["always", "signal"] = Field(
        default="always", description="always: a take-profit on every trade (the signal's, else default_target_r); "
        "signal: only when the signal sets one")

    trailing_stop_pct: Decimal | None = Field(default=None, gt=0, lt=100, description="unset = no trailing stop")
    trailing_activation_r: Decimal = Field(default=Decimal("0"), ge=0,
                                           description="start trailing once the trade is this many R in profit")
    rr_trigger_r: Decimal | None = Field(default=None, gt=0, description="risk reduction at this many R (unset=off)")
    rr_sell_pct: Decimal = Field(default=Decimal("50"), gt=0, le=100, description="share of the position sold")
    rr_move_stop: Literal["breakeven", "keep"] = "breakeven"
    time_exit: time | None = Field(default=time(15, 55), description='ET; "none" = hold overnight; no new entry '
                                   "at or after it in a session")
    time_exit_before_close_minutes: int = Field(default=5, ge=0,
                                                description="on early-close days: this long before the close")
    sweep_seconds: float = Field(default=5.0, gt=0, description="safety-net re-check interval")


class RiskConfig(Section):
    """Pre-trade risk, compliance and the trade manager."""

    account: AccountRisk = AccountRisk()
    accounts: dict[str, AccountRisk] = Field(default_factory=dict, description="per broker account id")
    strategies: dict[str, LimitOverrides] = Field(default_factory=dict)
    users: dict[str, LimitOverrides] = Field(default_factory=dict)
    breakers: CircuitBreakers = CircuitBreakers()
    rate_limit: RateLimit = RateLimit()
    trade: TradeRules = TradeRules()
    trade_by_strategy: dict[str, TradeRules] = Field(default_factory=dict,
                                                     description="a strategy's own exit rules (whole section)")

    def rules_for(self, strategy: str) -> TradeRules:
        return self.trade_by_strategy.get(strategy, self.trade)

    def for_account(self, account: str = "") -> AccountRisk:
        return self.accounts.get(account, self.account)

    def limits_for(self, strategy: str = "", user: str = "", account: str = "") -> Limits:
        """The limits for this account, strategy and user (plan §5.2)."""
        return self.for_account(account).limits.merged(self.strategies.get(strategy), self.users.get(user))

    @model_validator(mode="after")
    def _stops_ordered(self) -> RiskConfig:
        lim = self.account.limits
        if lim.default_stop_pct > lim.max_stop_pct:
            raise ValueError(f"risk.account.limits: default_stop_pct={lim.default_stop_pct} must not exceed "
                             f"max_stop_pct={lim.max_stop_pct}")
        return self
