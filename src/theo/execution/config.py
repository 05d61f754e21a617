"""Configuration of the execution component: broker choice, simulated broker, commission schedule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import Field, field_validator

from theo.adapters.ibkr.config import IbkrConfig
from theo.config.base import Section


class SecFeeRate(Section):
    """SEC Section 31 fee rate in USD per million USD of sales, effective from ``effective`` (market-rules.md §7.2)."""

    effective: date
    per_million: Decimal = Field(ge=0)


#: market-rules.md §7.2 history: 8.00 (2023-02-27) -> 27.80 (2024-05-22) -> 0.00 (2025-05-14).
DEFAULT_SEC_RATES = (
    SecFeeRate(effective=date(2023, 2, 27), per_million=Decimal("8.00")),
    SecFeeRate(effective=date(2024, 5, 22), per_million=Decimal("27.80")),
    SecFeeRate(effective=date(2025, 5, 14), per_million=Decimal("0.00")),
)


class CommissionConfig(Section):
    """IBKR Pro schedules of market-rules.md §7; every rate can be changed here."""

    schedule: Literal["fixed", "tiered", "none"] = Field(
        default="fixed", description="fixed | tiered (IBKR Pro, market-rules.md §7) | none (no charges at all)")
    schedule_version: str = "ibkr-pro-2026-11"
    # §7.1 stocks and ETFs
    stock_fixed_per_share: Decimal = Decimal("0.005")
    stock_fixed_min: Decimal = Decimal("1.00")
    stock_max_pct_of_value: Decimal = Decimal("0.01")
    stock_tiered_per_share: Decimal = Decimal("0.0035")
    stock_tiered_min: Decimal = Decimal("0.35")
    tiered_exchange_fee_per_share: Decimal = Decimal("0")
    tiered_clearing_per_share: Decimal = Decimal("0.0002")
    tiered_nyse_passthrough: Decimal = Decimal("0.000175")
    tiered_finra_passthrough: Decimal = Decimal("0.000563")
    # §7.2 regulatory fees
    sec_fee_rates: tuple[SecFeeRate, ...] = DEFAULT_SEC_RATES
    finra_taf_per_share: Decimal = Decimal("0.000166")
    finra_taf_max: Decimal = Decimal("8.30")
    cat_fee_per_share: Decimal = Decimal("0.000072")
    # §7.3 options (premium bands per contract, minimum per order)
    option_per_contract_high: Decimal = Decimal("0.65")  # premium >= 0.10
    option_per_contract_mid: Decimal = Decimal("0.50")  # 0.05 <= premium < 0.10
    option_per_contract_low: Decimal = Decimal("0.25")  # premium < 0.05
    option_min: Decimal = Decimal("1.00")
    option_exchange_fee_per_contract: Decimal = Decimal("0")
    option_orf_per_contract: Decimal = Decimal("0.02685")
    option_occ_per_contract: Decimal = Decimal("0.02")
    option_occ_max_per_trade: Decimal = Decimal("55")
    option_taf_per_contract: Decimal = Decimal("0.00279")
    # §7.4 MES and other futures
    future_commission_per_contract: Decimal = Decimal("0.25")
    future_exchange_fee_per_contract: Decimal = Decimal("0.35")
    nfa_fee_per_contract: Decimal = Decimal("0.02")

    @field_validator("sec_fee_rates")
    @classmethod
    def _sorted(cls, rates: tuple[SecFeeRate, ...]) -> tuple[SecFeeRate, ...]:
        if not rates:
            raise ValueError("sec_fee_rates needs at least one dated rate")
        return tuple(sorted(rates, key=lambda r: r.effective))


class SimulatedBrokerConfig(Section):
    """How the simulated broker fills orders."""

    slippage_ticks: int = Field(default=0, ge=0, description="market/stop fills move this many ticks against us")
    participation: float | None = Field(default=None, gt=0, le=1,
                                        description="max share of a bar's/tick's volume filled; none = fill all")
    limit_fill: Literal["through", "touch"] = "through"
    state_file: str = Field(default="sim_broker.db",
                            description="SQLite file of the paper account, relative to app.data_dir")
    initial_cash: Decimal = Field(default=Decimal("100000"), ge=0)
    margin_multiplier: Decimal = Field(default=Decimal("2"), gt=0, description="Reg T: buying power = equity x 2")


class ExecutionConfig(Section):
    """Orders, the simulated broker and the Interactive Brokers connection."""

    broker: Literal["simulated", "ibkr"] = "simulated"
    account: str = "SIM"
    lock_ttl_seconds: float = Field(default=30.0, gt=0)
    sim: SimulatedBrokerConfig = SimulatedBrokerConfig()
    ibkr: IbkrConfig = IbkrConfig()
    commissions: CommissionConfig = CommissionConfig()
