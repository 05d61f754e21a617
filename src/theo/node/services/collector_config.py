"""Configuration of ``theo collect`` (the ``[collector]`` section): feed, symbols, spool and write cadence."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from theo.config.base import Section
from theo.model.symbols import Symbol


class CollectorConfig(Section):
    """The market-data collector: which feed and symbols it records, where it spools during a database outage."""

    feed: str = Field(default="", pattern="^(|synthetic|replay|ibkr|polygon)$",
                      description="synthetic, replay, ibkr or polygon; empty = [marketdata] feed")
    symbols: list[Symbol] = Field(default_factory=list, description=(
        "symbols to collect; empty = every symbol the feed offers (the synthetic instruments, the replay files)"))
    spool_dir: Path = Field(default=Path("spool"), description=(
        "folder of the spool file that holds writes while the database is out; relative paths are under "
        "[app] data_dir"))
    flush_seconds: float = Field(default=1.0, gt=0, le=60, description=(
        "write buffered ticks at least this often (a crash loses at most this much plus the gate's "
        "out-of-order tolerance)"))
    batch: int = Field(default=10_000, ge=1, le=1_000_000, description="ticks per database write at most")
    retry_initial_seconds: float = Field(default=0.5, gt=0, description=(
        "first wait before trying the database again after an outage; doubles up to retry_max_seconds"))
    retry_max_seconds: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _retry_order(self) -> CollectorConfig:
        if self.retry_initial_seconds > self.retry_max_seconds:
            raise ValueError(f"retry_initial_seconds={self.retry_initial_seconds:g} must not exceed "
                             f"retry_max_seconds={self.retry_max_seconds:g}")
        return self
