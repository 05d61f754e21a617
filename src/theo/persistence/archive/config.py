"""Configuration of the cold archive."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from theo.config.base import Section

_AGE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_age(text: str) -> timedelta:
    """Parse an age such as ``30d``, ``12h``, ``2w`` (s, m, h, d, w); raise ``ValueError`` naming the value."""
    m = _AGE.match(text)
    if m is None:
        raise ValueError(f"age {text!r} not understood; use a number and a unit: 30d, 12h, 2w (s, m, h, d, w)")
    return timedelta(**{_UNITS[m[2]]: int(m[1])})


class ArchiveConfig(Section):
    """Where and when old ticks are archived (plan §1 "archiving to cold storage", market-rules.md §3)."""

    directory: Path | None = Field(default=None, description="archive root; empty means <data_dir>/archive")
    older_than: str = Field(default="30d", description="ticks older than this leave the database")
    compression: Literal["zstd", "snappy", "gzip", "none"] = "zstd"

    @field_validator("older_than")
    @classmethod
    def _valid_age(cls, value: str) -> str:
        parse_age(value)
        return value

    def resolve_directory(self, data_dir: Path) -> Path:
        return self.directory if self.directory is not None else data_dir / "archive"
