"""Configuration of the engine component: feed choice for ``theo run``, fill and charges model, backtests."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from theo.config.base import Section


class DataFile(Section):
    """One market-data file of a backtest; ``symbol`` defaults to the file-name prefix (``SPY_1min...``)."""

    path: Path
    symbol: str = ""


class BacktestSettings(Section):
    """Defaults of ``theo backtest`` (the command line overrides data and dates)."""

    data: list[DataFile] = Field(default_factory=list)
    start: date | None = Field(default=None, description="first session date (inclusive)")
    end: date | None = Field(default=None, description="last session date (inclusive)")
    out: Path = Path("backtest-out")
    fast_path: bool = Field(default=True, description="use the batch path when every strategy has one")


class EngineConfig(Section):
    """The engine: which feed ``theo run`` uses, how orders fill, charges, and backtest defaults."""

    execution: Literal["broker", "fast"] = Field(
        default="broker", description="broker: trade manager, risk checks, order service, journal and simulated "
        "broker (paper and backtest); fast: vectorised next-open books for backtests and sweeps")
    replay: list[DataFile] = Field(default_factory=list,
                                   description="files `theo run` replays when [marketdata] feed = replay")
    speed: float | None = Field(default=60.0, gt=0,
                                description="simulated seconds per wall second; unset = as fast as possible")
    synthetic_start: datetime = Field(default=datetime.fromisoformat("2026-01-05T14:30:00+00:00"),
                                      description="simulated time the synthetic market starts at (a session open)")
    quantity: Decimal = Field(default=Decimal(100), gt=0, description="shares per entry if a strategy sets none")
    tick_size: Decimal = Field(default=Decimal("0.01"), gt=0, description="price increment of fills")
    slippage_ticks: int = Field(default=0, ge=0, description="market and stop fills this many ticks worse")
    charges: Literal["ibkr_fixed", "none"] = "ibkr_fixed"
    sec_fee_per_million: Decimal = Field(default=Decimal(0), ge=0,
                                         description="SEC §31 fee on sales, USD per $1M (market-rules.md §7.2)")
    max_leverage: Decimal = Field(default=Decimal(2), gt=0,  # Reg T 50 % initial margin, market-rules.md §2.1
                                  description="entry refused when open notional would exceed capital × this")
    status_interval: float = Field(default=1.0, gt=0, description="seconds between status refreshes")
    heartbeat_seconds: float = Field(default=5.0, gt=0, description="seconds between checkpoints in the DB")
    backtest: BacktestSettings = BacktestSettings()

    @field_validator("synthetic_start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError(f"synthetic_start={value.isoformat()} has no timezone; add an offset, e.g. Z")
        return value
