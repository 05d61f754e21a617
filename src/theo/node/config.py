"""Configuration of the engine component: the feed and pacing of ``theo run``, checkpoints, backtests."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator, model_validator

from theo.config.base import Section
from theo.model.symbols import parse_symbol


class DataFile(Section):
    """One market-data file of a backtest; ``symbol`` defaults to the file-name prefix (``SPY_1min...``)."""

    path: Path
    symbol: str = ""

    @field_validator("symbol")
    @classmethod
    def _symbol(cls, value: str) -> str:
        return value and parse_symbol(value)


class BacktestSettings(Section):
    """Defaults of ``theo backtest`` (the command line overrides data and dates)."""

    data: list[DataFile] = Field(default_factory=list)
    start: date | None = Field(default=None, description="first session date (inclusive)")
    end: date | None = Field(default=None, description="last session date (inclusive)")
    out: Path = Path("backtest-out")


#: Keys that configured a second, faster execution model, refused with what to use instead: one engine trades
#: every mode.
_REMOVED = {
    "execution": "there is one engine: backtests trade exactly as theo run does; remove the key",
    "quantity": "set quantity (or [strategies.sizing]) on each strategy",
    "tick_size": "fills use each instrument's tick size",
    "slippage_ticks": "use [execution.sim] slippage_ticks",
    "charges": 'use [execution.commissions] schedule ("fixed", "tiered" or "none")',
    "sec_fee_per_million": "use [execution.commissions] sec_fee_rates",
    "max_leverage": "the margin, buying-power and exposure limits of [risk] cap every entry",
}


class EngineConfig(Section):
    """The engine: which feed ``theo run`` uses, its pacing and checkpoints, and backtest defaults."""

    replay: list[DataFile] = Field(default_factory=list,
                                   description="files `theo run` replays when [marketdata] feed = replay")
    speed: float | None = Field(default=60.0, gt=0,
                                description="simulated seconds per wall second; unset = as fast as possible")
    synthetic_start: datetime = Field(default=datetime.fromisoformat("2026-01-05T14:30:00+00:00"),
                                      description="simulated time the synthetic market starts at (a session open)")
    catch_up_days: float = Field(default=5.0, ge=0, le=3650, description=(
        "on a restart on the synthetic market, the strategies are fed this many days of history before the "
        "checkpoint (the price path before them is computed, not replayed); 0 replays from synthetic_start"))
    status_interval: float = Field(default=1.0, gt=0, description="seconds between status refreshes")
    heartbeat_seconds: float = Field(default=5.0, gt=0, description="seconds between checkpoints in the DB")
    backtest: BacktestSettings = BacktestSettings()

    @model_validator(mode="before")
    @classmethod
    def _removed_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            problems = [f"[engine] {key} is no longer a setting: {hint}" for key, hint in _REMOVED.items()
                        if key in data]
            if isinstance(data.get("backtest"), dict) and "fast_path" in data["backtest"]:
                problems.append("[engine.backtest] fast_path is no longer a setting: backtests skip the items where "
                                "nothing can happen, with the same rules as theo run; remove the key")
            if problems:
                raise ValueError("; ".join(problems))
        return data

    @field_validator("synthetic_start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError(f"synthetic_start={value.isoformat()} has no timezone; add an offset, e.g. Z")
        return value
